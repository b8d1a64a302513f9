import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// What a pulled file gets besides its bytes: the server version's permission bits (the
/// owner's read and write always kept) and mtime.
struct FileAttributes: Sendable, Hashable {
    var mode: Int
    /// Nanoseconds since 1970; negative when unknown (the file keeps its write time).
    var mtimeNanoseconds: Int64

    init(mode: Int, mtimeNanoseconds: Int64) {
        self.mode = mode
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    init(_ version: RemoteVersion) {
        self.init(mode: version.mode, mtimeNanoseconds: version.mtimeNs)
    }

    private var permissions: mode_t { mode_t(mode & 0o777) | 0o600 }

    /// `UTIME_OMIT` (a macro Glibc's module does not export): leave that time as it is.
    private static let omit = (1 << 30) - 2

    /// The access time left as it is, the modification time set; nil when it is unknown.
    private var times: [timespec]? {
        guard mtimeNanoseconds >= 0 else { return nil }
        return [
            timespec(tv_sec: 0, tv_nsec: Self.omit),
            timespec(tv_sec: Int(mtimeNanoseconds / 1_000_000_000), tv_nsec: Int(mtimeNanoseconds % 1_000_000_000)),
        ]
    }

    /// Sets them on an open file (`path` names it in errors); after its last write, which
    /// sets the mtime too.
    func apply(to fd: Int32, path: String) throws(StoreError) {
        if fchmod(fd, permissions) != 0 { throw FileIO.error("chmod", path) }
        if let times, futimens(fd, times) != 0 { throw FileIO.error("utimensat", path) }
    }

    /// Sets them on the file at `path`.
    func apply(to path: String) throws(StoreError) {
        if chmod(path, permissions) != 0 { throw FileIO.error("chmod", path) }
        if let times, utimensat(AT_FDCWD, path, times, 0) != 0 { throw FileIO.error("utimensat", path) }
    }
}
