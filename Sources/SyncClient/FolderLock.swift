import ContentStore

/// `<folder>/.followup/lock` (flock, exclusive): one pull at a time per folder.
final class FolderLock {
    private let fd: Int32

    init(folder: String) throws {
        let directory = folder + "/" + SyncState.directoryName
        try FileIO.makeDirectories(directory)
        guard let fd = try StoreLock.tryLock(directory + "/lock", mode: .exclusive) else { throw SyncError.busy(folder) }
        self.fd = fd
    }

    deinit {
        // Closing the descriptor releases the lock.
        FileIO.close(fd)
    }
}
