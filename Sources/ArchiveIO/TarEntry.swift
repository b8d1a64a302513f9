/// What a ``TarReader`` found: a regular file or a directory, its metadata and no more.
/// Owners are not kept; deliverables belong to the archive, not to a uid.
public struct TarEntry: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case regularFile, directory
    }

    public var path: TarPath
    public var kind: Kind
    /// Bytes of data; 0 for a directory.
    public var size: Int64
    /// Permission bits (`0o7777` at most).
    public var mode: UInt16
    /// Modification time, seconds since 1970-01-01 UTC.
    public var mtime: Int64

    public init(path: TarPath, kind: Kind, size: Int64, mode: UInt16, mtime: Int64) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.mtime = mtime
    }
}
