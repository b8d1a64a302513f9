import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// Writes the contents a pull assembles, one after another, through page-aligned buffers
/// with `O_DIRECT` where the file system takes it, and hashes each content on the way.
///
/// Eight lanes, contents taking turns, each of two ``WriteThread``s: one hashes a full
/// buffer and hands it to the other, which writes it, while the pull receives the next
/// chunks. A large content thus hashes one buffer while the one before goes to disk
/// (with one thread doing both, the pull waited on that thread for 0.5 s of its 0.8 s);
/// a content held whole in one buffer is hashed and written by the first alone.
///
/// Written through the page cache, the dataset of the benchmarks (2,004 files, 516 MB)
/// took 0.73–0.82 s to write and 0.22–0.27 s more to sync on the benchmark VM; with
/// `O_DIRECT` 0.37–0.40 s and 0.03 s. The whole-file hash is taken from the buffers, so
/// nothing is read back.
///
/// All-zero chunks stay holes, whole blocks of them: the zeros are hashed, not written.
/// A content that does not start at offset 0 (the verified prefix of an interrupted
/// pull), a small one, or one on a file system that refuses `O_DIRECT` is written through
/// the page cache by the same jobs, its writeback started as each buffer is written.
final class ContentWriter {
    static let bufferBytes = 1 << 20
    /// Per lane.
    static let buffers = 4
    /// Contents take turns: a content's last write and the close of its file wait for the
    /// disk (a new small file's `O_DIRECT` write about 0.23 ms on the benchmark VM), and so
    /// would every small file after it. With eight lanes, eight such writes are under way at
    /// once: the dataset's pull took 0.557 s on average against 0.585 s with four (twelve
    /// lanes: no faster; eight with two buffers each: 0.65 s), 10,000 files of 4 KiB
    /// 1.06–1.10 s with four against 1.11–1.16 s with two.
    static let lanes = 8

    /// A hashing thread, owner of the buffers, and the thread that writes them.
    private struct Lane {
        let hash: WriteThread
        let io: WriteThread

        func drain() throws(StoreError) {
            // The hash jobs queue the writes: they go first.
            try hash.drain()
            try io.drain()
        }
    }

    /// One content being written; ``matches`` is known once the writer has drained.
    final class Content: @unchecked Sendable {
        /// Set by the last job: whether the bytes written hash to what was expected (and
        /// then the file has the ``FileAttributes`` it was given, if any).
        fileprivate(set) var matches = false
        /// Set by the caller: a chunk could not be produced, so the content is bad whatever it hashes to.
        fileprivate var spoiled = false
        /// The file and its hash so far, until the last job lets them go: a batch holds tens
        /// of thousands of finished contents, at a few bytes each.
        fileprivate var file: File?
    }

    /// What the jobs of one content share; its fields are touched by those jobs only (they
    /// run in order on one thread), and by the caller once the thread is stopped or drained.
    fileprivate final class File: @unchecked Sendable {
        let path: String
        let expected: ChunkID
        let fd: Int32
        var direct: Bool
        let attributes: FileAttributes?
        let hasher = SHA256()

        init(path: String, expected: ChunkID, fd: Int32, direct: Bool, attributes: FileAttributes?) {
            self.path = path
            self.expected = expected
            self.fd = fd
            self.direct = direct
            self.attributes = attributes
        }
    }

    private let lanes: [Lane]
    /// The lane of the content being filled (or of the next one).
    private var lane = 0
    private var thread: WriteThread { lanes[lane].hash }
    /// The content being filled, the buffer it fills (from its lane's pool), where that
    /// buffer starts in the file and how much of it is filled.
    private var content: Content?
    private var buffer: UnsafeMutableRawPointer
    private var base: Int64 = 0
    private var filled = 0

    init() throws {
        lanes = try (0..<Self.lanes).map { _ in
            Lane(
                hash: try WriteThread(buffers: Self.buffers, bufferBytes: Self.bufferBytes, name: "followup-pull-hash"),
                io: try WriteThread(buffers: 0, bufferBytes: Self.bufferBytes, name: "followup-pull-writer"))
        }
        buffer = try lanes[0].hash.takeBuffer()
    }

    deinit {
        thread.giveBack(buffer)
        for lane in lanes {
            lane.hash.stop()
            lane.io.stop()
        }
        // A content begun and never finished (the pull failed on its way).
        if let file = content?.file { FileIO.close(file.fd) }
    }

    /// Starts writing `path` (created if missing), keeping its first `prefix` bytes: those are
    /// read back and hashed first. A content that matches ends with `attributes`.
    func begin(path: String, expected: ChunkID, size: Int64, prefix: Int64, attributes: FileAttributes? = nil) throws -> Content {
        precondition(content == nil, "begin before finish")
        let aligned = prefix == 0 && size >= Int64(WriteThread.blockBytes)
        // Emptied by the open, unless a verified prefix stays.
        let flags = O_RDWR | O_CREAT | (prefix == 0 ? O_TRUNC : 0)
        let (fd, direct) = aligned
            ? try WriteThread.openDirect(path, flags: flags, mode: 0o600)
            : (try FileIO.open(path, flags, 0o600), false)
        if prefix > 0 && ftruncate(fd, off_t(prefix)) != 0 {
            FileIO.close(fd)
            throw FileIO.error("truncate", path)
        }
        let file = File(path: path, expected: expected, fd: fd, direct: direct, attributes: attributes)
        let started = Content()
        started.file = file
        if prefix > 0 {
            try thread.enqueue { failed throws(StoreError) in
                guard !failed else { return }
                try Self.hashPrefix(of: file, bytes: prefix)
            }
        }
        content = started
        base = prefix
        filled = 0
        return started
    }

    /// Appends the next bytes of the current content.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count {
            start = thread.copy(bytes, from: start, into: buffer, filled: &filled)
            if filled == thread.bufferBytes { try flush() }
        }
    }

    /// Appends `count` zero bytes: whole blocks of them are left as a hole (hashed, not written).
    func appendZeros(_ count: Int) throws {
        guard let file = content?.file else { preconditionFailure("appendZeros before begin") }
        var rest = count
        // Zeros up to the next block boundary go into the buffer, as data.
        let toBoundary = Int((Int64(WriteThread.blockBytes) - (base + Int64(filled)) % Int64(WriteThread.blockBytes)) % Int64(WriteThread.blockBytes))
        try zeros(min(rest, toBoundary))
        rest -= min(rest, toBoundary)
        let blocks = rest / WriteThread.blockBytes * WriteThread.blockBytes
        if blocks > 0 {
            if filled > 0 { try flush() }
            try thread.enqueue { failed throws(StoreError) in
                guard !failed else { return }
                Self.hashZeros(blocks, into: file.hasher)
            }
            base += Int64(blocks)
        }
        try zeros(rest - blocks)
    }

    /// Marks the current content bad (a local chunk it needed was gone); it is still finished.
    func spoil() {
        content?.spoiled = true
    }

    /// Queues the end of the current content: its last bytes, its size, its hash check and
    /// the close of its file. ``drain()`` waits for it.
    func finish(size: Int64) throws {
        guard let content, let file = content.file else { preconditionFailure("finish before begin") }
        let last = buffer, bytes = filled, at = base, finishing = lanes[lane]
        self.content = nil
        lane = (lane + 1) % lanes.count
        buffer = try thread.takeBuffer()
        base = 0
        filled = 0
        let hash = { (failed: Bool) in
            guard !failed else { return }
            file.hasher.update(UnsafeRawBufferPointer(start: last, count: bytes))
            content.matches = !content.spoiled && file.hasher.finalize() == file.expected
        }
        let write = { (failed: Bool) throws(StoreError) in
            defer {
                FileIO.close(file.fd)
                content.file = nil
            }
            guard !failed else { return }
            try WriteThread.writeLast(file.fd, last, bytes: bytes, at: at, direct: &file.direct, path: file.path)
            // A content ending in a hole reaches its size here.
            if at + Int64(bytes) != size, ftruncate(file.fd, off_t(size)) != 0 { throw FileIO.error("truncate", file.path) }
            // By descriptor, on the lane's thread (installing the file is then one rename on
            // the pull's), after the last write, which sets the mtime too.
            if content.matches, let attributes = file.attributes { try attributes.apply(to: file.fd, path: file.path) }
        }
        guard at == 0 else { return try hashThenWrite(last, bytes: bytes, on: finishing, hash: hash, write: write) }
        // The whole content is in this buffer (a small file): one job hashes and writes it, as
        // a hand-off to the writing thread per file made 10,000 files of 4 KiB 7% slower.
        // Small files stay `O_DIRECT` too: written through the page cache they were 0.05 s
        // faster for the dataset while new page-cache memory came fast, and 0.25 s slower
        // while it did not (the benchmark VM, as its page cache grows into untouched memory).
        try finishing.hash.enqueue(releasing: last) { failed throws(StoreError) in
            hash(failed)
            try write(failed)
        }
    }

    /// Waits until every queued content is written and checked.
    func drain() throws {
        for lane in lanes { try lane.drain() }
    }

    /// The bytes `offset..<offset + length` of the content being written (a chunk it
    /// repeats): what is already queued is on disk once drained, the rest is in the buffer.
    func readCurrent(offset: Int64, length: Int) throws -> [UInt8]? {
        guard let content = content?.file else { return nil }
        try drain()
        var bytes = [UInt8](repeating: 0, count: length)
        let onDisk = Int(max(0, min(Int64(length), base - offset)))
        if onDisk > 0 {
            // A descriptor of its own: the content's may have O_DIRECT set. A hole skipped at
            // the end of what is written so far is not in the file yet: zeros (as `bytes` starts).
            let fd = try FileIO.open(content.path, O_RDONLY)
            defer { FileIO.close(fd) }
            try bytes.withUnsafeMutableBytes { raw in
                var done = 0
                while done < onDisk {
                    let n = pread(fd, raw.baseAddress! + done, onDisk - done, off_t(offset) + off_t(done))
                    if n > 0 { done += n; continue }
                    if n == 0 { break }
                    if errno != EINTR { throw FileIO.error("read", content.path) }
                }
            }
        }
        if onDisk < length {
            let from = Int(offset + Int64(onDisk) - base)
            guard from >= 0, from + (length - onDisk) <= filled else { return nil }
            bytes.withUnsafeMutableBytes { ($0.baseAddress! + onDisk).copyMemory(from: buffer + from, byteCount: length - onDisk) }
        }
        return bytes
    }

    private func zeros(_ count: Int) throws {
        var rest = count
        while rest > 0 {
            let take = min(thread.bufferBytes - filled, rest)
            (buffer + filled).initializeMemory(as: UInt8.self, repeating: 0, count: take)
            filled += take
            rest -= take
            if filled == thread.bufferBytes { try flush() }
        }
    }

    /// Queues the full buffer (or, before a hole, the filled part: a whole number of blocks).
    private func flush() throws {
        guard let file = content?.file else { preconditionFailure("flush before begin") }
        let full = buffer, bytes = filled, at = base
        let filling = lanes[lane]
        buffer = try thread.takeBuffer()
        base += Int64(bytes)
        filled = 0
        try hashThenWrite(full, bytes: bytes, on: filling) { failed throws(StoreError) in
            guard !failed else { return }
            file.hasher.update(UnsafeRawBufferPointer(start: full, count: bytes))
        } write: { failed throws(StoreError) in
            guard !failed else { return }
            try Self.write(file, full, bytes: bytes, at: at)
        }
    }

    /// Queues `hash` on the lane's hashing thread, then `write` on its writing thread, which
    /// gives `buffer` back to the pool once written. Both run, with `failed` set, after a failure.
    private func hashThenWrite(
        _ buffer: UnsafeMutableRawPointer, bytes: Int, on lane: Lane,
        hash: @escaping (_ failed: Bool) throws(StoreError) -> Void,
        write: @escaping (_ failed: Bool) throws(StoreError) -> Void
    ) throws(StoreError) {
        try lane.hash.enqueue { failed throws(StoreError) in
            var hashFailure: StoreError?
            do throws(StoreError) { try hash(failed) } catch { hashFailure = error }
            // Queued whatever happened: the write job closes files and returns the buffer.
            try lane.io.enqueue { failed throws(StoreError) in
                defer { lane.hash.giveBack(buffer) }
                try write(failed || hashFailure != nil)
            }
            if let hashFailure { throw hashFailure }
        }
    }

    private static func write(_ content: File, _ pointer: UnsafeRawPointer, bytes: Int, at offset: Int64) throws(StoreError) {
        guard bytes > 0 else { return }
        // `direct` turns false if the file system refuses `O_DIRECT`; it never turns true.
        try WriteThread.write(content.fd, pointer, bytes: bytes, at: offset, direct: &content.direct, path: content.path)
        // Through the page cache: start the writeback of whole buffers now, as the pull syncs
        // once at the end. A file's tail or a small file is left to that sync: starting each
        // one alone cost about 4% of the pull's CPU.
        if !content.direct && bytes >= 64 << 10 { FileIO.startWriteback(content.fd, offset: offset, length: Int64(bytes)) }
    }

    private static func hashPrefix(of content: File, bytes: Int64) throws(StoreError) {
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 64)
        defer { piece.deallocate() }
        var offset: Int64 = 0
        while offset < bytes {
            let take = Int(min(Int64(piece.count), bytes - offset))
            do {
                try FileIO.pread(content.fd, into: UnsafeMutableRawBufferPointer(rebasing: piece[..<take]), at: offset, path: content.path)
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.io(operation: "read", path: content.path, message: "\(error)")
            }
            content.hasher.update(UnsafeRawBufferPointer(rebasing: piece[..<take]))
            offset += Int64(take)
        }
    }

    private static let zeroBlock = [UInt8](repeating: 0, count: 64 << 10)

    private static func hashZeros(_ count: Int, into hasher: SHA256) {
        var rest = count
        zeroBlock.withUnsafeBytes { zeros in
            while rest > 0 {
                let take = min(rest, zeros.count)
                hasher.update(UnsafeRawBufferPointer(rebasing: zeros[..<take]))
                rest -= take
            }
        }
    }
}
