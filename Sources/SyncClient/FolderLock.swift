import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// `<folder>/.followup/lock` (flock, exclusive): one pull at a time per folder.
final class FolderLock {
    private let fd: Int32

    init(folder: String) throws {
        let directory = folder + "/" + SyncState.directoryName
        try FileIO.makeDirectories(directory)
        fd = try FileIO.open(directory + "/lock", O_RDWR | O_CREAT, 0o644)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            FileIO.close(fd)
            if code == EWOULDBLOCK { throw SyncError.busy(folder) }
            throw FileIO.error("flock", directory + "/lock", code)
        }
    }

    deinit {
        // Closing the descriptor releases the lock.
        FileIO.close(fd)
    }
}
