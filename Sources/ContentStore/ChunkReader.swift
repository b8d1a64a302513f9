/// Reads a file descriptor through a fixed buffer and hands each content-defined
/// chunk to a closure: memory stays at the buffer size whatever the file size.
public struct ChunkReader: ~Copyable {
    public let chunker: Chunker
    private let buffer: UnsafeMutableRawBufferPointer
    private var batch = ChunkBatch()

    /// `bufferSize` is raised to at least twice the maximum chunk size.
    public init(chunker: Chunker, bufferSize: Int = 4 << 20) {
        self.chunker = chunker
        buffer = .allocate(byteCount: max(bufferSize, 2 * chunker.parameters.maxSize), alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with each chunk and its id, in order, and feeds every byte
    /// to `fileHash` (a fresh hasher); returns the number of bytes read. The bytes
    /// passed to `body` are only valid during the call.
    ///
    /// The chunks in the buffer are cut and hashed together (`Chunker.cutAndHash`),
    /// then handed over one by one. The first chunk is hashed once for both: the
    /// file's hash over it is the chunk's before it is finalized, so a file of one
    /// chunk (most files under a few MiB) is read and hashed once, not twice.
    public mutating func forEachChunk(
        fd: Int32, path: String, fileHash: SHA256? = nil,
        _ body: (UnsafeRawBufferPointer, ChunkID) async throws -> Void
    ) async throws -> Int64 {
        let maxSize = chunker.parameters.maxSize
        var start = 0, end = 0, total: Int64 = 0
        var atEOF = false
        while true {
            if !atEOF && end - start < maxSize {
                // Keep at least one maximal chunk ahead: move the tail to the front and refill.
                if start > 0 {
                    (buffer.baseAddress! + 0).copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                    end -= start
                    start = 0
                }
                let n = try FileIO.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]), path: path)
                end += n
                total += Int64(n)
                atEOF = end < buffer.count
                try Task.checkCancellation()
            }
            if start == end { return total }
            let available = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            let used = chunker.cutAndHash(available, isLast: atEOF, fileHash: fileHash, into: &batch)
            for k in 0..<batch.count {
                try await body(UnsafeRawBufferPointer(rebasing: available[batch.range(at: k)]), batch.ids[k])
            }
            start += used
        }
    }
}
