import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that runs file writes in the order they are queued, and the
/// page-aligned buffers passed to it: the caller fills one buffer while the thread writes
/// (and hashes) the ones before. `O_DIRECT` writes wait for the disk, so they belong
/// off the thread that receives the data.
///
/// The first error a job throws is kept and thrown by the next ``takeBuffer()``,
/// ``enqueue(releasing:_:)`` or ``drain()``; later jobs still run with `failed` set, so
/// that they can close their files, and every buffer comes back to the pool.
package final class WriteThread: @unchecked Sendable {
    /// The alignment `O_DIRECT` asks of addresses, offsets and lengths on Linux file systems.
    package static let blockBytes = 4096

    package let bufferBytes: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var free: [UnsafeMutableRawPointer] = []
    private var allocated: [UnsafeMutableRawPointer] = []
    private var queue: [(job: (_ failed: Bool) throws(StoreError) -> Void, buffer: UnsafeMutableRawPointer?)] = []
    private var busy = false
    private var stopping = false
    private var running = true
    private var failure: StoreError?

    /// `buffers` of `bufferBytes` each (a multiple of ``blockBytes``), allocated now; none for
    /// a thread that writes buffers owned by another.
    package init(buffers: Int, bufferBytes: Int, name: String) throws(StoreError) {
        precondition(bufferBytes > 0 && bufferBytes % Self.blockBytes == 0 && buffers >= 0)
        self.bufferBytes = bufferBytes
        for _ in 0..<buffers {
            var pointer: UnsafeMutableRawPointer?
            guard posix_memalign(&pointer, Self.blockBytes, bufferBytes) == 0, let pointer else {
                allocated.forEach { Glibc.free($0) }
                throw StoreError.io(operation: "allocate", path: name, message: "no memory for write buffers")
            }
            allocated.append(pointer)
        }
        free = allocated
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    deinit {
        allocated.forEach { Glibc.free($0) }
    }

    /// A buffer to fill, waiting for one to come back from the thread if none is free.
    package func takeBuffer() throws(StoreError) -> UnsafeMutableRawPointer {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && failure == nil { condition.wait() }
        if let failure { throw failure }
        return free.removeLast()
    }

    /// Copies from `bytes`, starting at `start`, into `buffer` after its `filled` bytes, as
    /// much as fits; returns where the rest of `bytes` starts.
    package func copy(_ bytes: UnsafeRawBufferPointer, from start: Int, into buffer: UnsafeMutableRawPointer, filled: inout Int) -> Int {
        let count = min(bufferBytes - filled, bytes.count - start)
        (buffer + filled).copyMemory(from: bytes.baseAddress! + start, byteCount: count)
        filled += count
        return start + count
    }

    /// Gives a buffer back unused.
    package func giveBack(_ buffer: UnsafeMutableRawPointer) {
        condition.withLock {
            free.append(buffer)
            condition.broadcast()
        }
    }

    /// Runs `job` on the thread after everything queued before it; `buffer`, if any, goes
    /// back to the pool once the job has run. The job's argument is true when an earlier
    /// job failed.
    package func enqueue(releasing buffer: UnsafeMutableRawPointer? = nil, _ job: @escaping (_ failed: Bool) throws(StoreError) -> Void) throws(StoreError) {
        condition.lock()
        defer { condition.unlock() }
        queue.append((job, buffer))
        condition.broadcast()
        if let failure { throw failure }
    }

    /// Waits until every queued job has run; throws the first failure.
    package func drain() throws(StoreError) {
        condition.lock()
        defer { condition.unlock() }
        while !queue.isEmpty || busy { condition.wait() }
        if let failure { throw failure }
    }

    /// Ends the thread after what is queued, and waits for it. Called once, by the owner.
    package func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty { break }
            let (job, buffer) = queue.removeFirst()
            busy = true
            let failed = failure != nil
            condition.unlock()
            var error: StoreError?
            do { try job(failed) } catch let thrown { error = thrown }
            condition.lock()
            busy = false
            if let error, failure == nil { failure = error }
            if let buffer { free.append(buffer) }
            condition.broadcast()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Helpers for the jobs

    #if arch(arm64) || arch(arm)
    package static let directFlag: Int32 = 0o200000
    #else
    package static let directFlag: Int32 = 0o40000
    #endif

    /// Opens `path` for writing with `O_DIRECT` where the file system takes it; the
    /// second value says whether it did.
    package static func openDirect(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> (fd: Int32, direct: Bool) {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC | directFlag, mode)
            if fd >= 0 { return (fd, true) }
            if errno == EINTR { continue }
            if errno != EINVAL { throw FileIO.error("open", path) }
            return (try FileIO.open(path, flags, mode), false)
        }
    }

    /// Turns `O_DIRECT` off for `fd` (an unaligned tail, or a file system that refuses it).
    package static func stopDirect(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~directFlag) }
    }

    /// Writes the last bytes of a file at `offset`: its whole blocks as the buffers before
    /// (with `O_DIRECT` while `direct`), the rest through the page cache, as `O_DIRECT` writes
    /// whole blocks only. `O_DIRECT` is off afterwards.
    package static func writeLast(_ fd: Int32, _ pointer: UnsafeRawPointer, bytes: Int, at offset: Int64, direct: inout Bool, path: String) throws(StoreError) {
        let whole = direct ? bytes / blockBytes * blockBytes : 0
        try write(fd, pointer, bytes: whole, at: offset, direct: &direct, path: path)
        if direct {
            stopDirect(fd)
            direct = false
        }
        var buffered = false
        try write(fd, pointer + whole, bytes: bytes - whole, at: offset + Int64(whole), direct: &buffered, path: path)
    }

    /// Writes `bytes` at `offset`, whole or an error. On an `O_DIRECT` descriptor a write the
    /// file system refuses (EINVAL) turns `O_DIRECT` off, sets `direct` false and is retried.
    package static func write(_ fd: Int32, _ pointer: UnsafeRawPointer, bytes: Int, at offset: Int64, direct: inout Bool, path: String) throws(StoreError) {
        var done = 0
        while done < bytes {
            let n = pwrite(fd, pointer + done, bytes - done, off_t(offset) + off_t(done))
            if n >= 0 { done += n; continue }
            if errno == EINTR { continue }
            if errno == EINVAL && direct {
                stopDirect(fd)
                direct = false
                continue
            }
            throw FileIO.error("write", path)
        }
    }
}
