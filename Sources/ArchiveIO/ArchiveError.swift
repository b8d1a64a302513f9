/// Why a tar could not be written or read.
public enum ArchiveError: Error, Hashable, Sendable {
    /// The tar file could not be created or opened.
    case cannotOpen(path: String, message: String)
    /// libarchive reported a failure; `entry` names the entry being read or written, when
    /// there is one, and `message` is libarchive's own.
    case library(entry: String?, message: String)
    /// An entry's path is absolute, climbs with `..`, or is otherwise unsafe to place in a tree.
    case invalidPath(entry: String, violation: TarPath.Violation)
    /// The entry is not a regular file or a directory. Deliverables are files, and a link,
    /// device or fifo in a foreign archive can only redirect or block a restore.
    case unsupportedEntry(entry: String, type: RefusedType)
    /// A file's data is not the size its header declares.
    case sizeMismatch(entry: String, declared: Int64, actual: Int64)
    /// An earlier error left this writer's archive incomplete; it cannot be continued.
    case writerFailed

    public enum RefusedType: Hashable, Sendable, CustomStringConvertible {
        case symbolicLink, hardLink, characterDevice, blockDevice, fifo, socket
        /// Any other file-type bits.
        case unknown(UInt32)

        public var description: String {
            switch self {
            case .symbolicLink: "symbolic link"
            case .hardLink: "hard link"
            case .characterDevice: "character device"
            case .blockDevice: "block device"
            case .fifo: "fifo"
            case .socket: "socket"
            case .unknown(let bits): "file type 0o\(String(bits, radix: 8))"
            }
        }
    }
}

extension ArchiveError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .cannotOpen(let path, let message):
            "cannot open tar '\(path)': \(message)"
        case .library(let entry?, let message):
            "tar entry '\(entry)': \(message)"
        case .library(nil, let message):
            "tar: \(message)"
        case .invalidPath(let entry, let violation):
            "tar entry '\(entry)' refused: \(violation)"
        case .unsupportedEntry(let entry, let type):
            "tar entry '\(entry)' refused: a \(type) (only regular files and directories are accepted)"
        case .sizeMismatch(let entry, let declared, let actual):
            "tar entry '\(entry)': header declares \(declared) bytes but the data has \(actual)"
        case .writerFailed:
            "the tar is incomplete after an earlier error; write a new one"
        }
    }
}
