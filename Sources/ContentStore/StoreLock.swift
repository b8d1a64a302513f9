#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on `<root>/lock` (flock): writers that add data and
/// verify hold it shared, gc and index rebuilds hold it exclusively, so gc
/// never sweeps a chunk that an ingest in another process has just
/// deduplicated against, nor deletes a pack verify is reading.
public final class StoreLock: Sendable {
    private let fd: Int32

    public enum Mode: Sendable { case shared, exclusive }

    /// Takes the lock without waiting; throws `.busy` if another holder conflicts.
    init(root: String, mode: Mode, purpose: String) throws {
        guard let fd = try Self.tryLock(root + "/lock", mode: mode) else {
            throw StoreError.busy("the store is busy (\(mode == .shared ? "gc or an index rebuild" : "an upload, ingest or verify") is running); try \(purpose) again when it finishes")
        }
        self.fd = fd
    }

    /// Opens `path` (creating it) and takes `flock` on it without waiting: the descriptor,
    /// whose closing releases the lock, or nil when another holder conflicts.
    package static func tryLock(_ path: String, mode: Mode) throws -> Int32? {
        let fd = try FileIO.open(path, O_RDWR | O_CREAT, 0o644)
        let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB
        while flock(fd, operation) != 0 {
            if errno == EINTR { continue }
            let code = errno
            FileIO.close(fd)
            if code == EWOULDBLOCK { return nil }
            throw FileIO.error("flock", path, code)
        }
        return fd
    }

    deinit {
        // Closing the descriptor releases the lock.
        FileIO.close(fd)
    }
}
