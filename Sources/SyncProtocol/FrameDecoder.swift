/// Reads frames of the chunk stream (see ``ChunkFrame``) from bytes that arrive in pieces
/// split anywhere, as the buffers of a streamed HTTP body do.
///
///     var decoder = FrameDecoder()
///     for try await buffer in body {
///         decoder.append(buffer)
///         while let frame = try decoder.next() { … }
///     }
///     try decoder.finish()
///
/// Memory stays bounded by the largest frame plus the largest piece appended: a frame
/// whose header declares more than ``maxFrameLength`` bytes is refused before its body is
/// buffered. Errors are final: the stream has lost its framing, so every later call to
/// ``next()`` or ``finish()`` throws the same error.
public struct FrameDecoder: Sendable {
    /// 16 MiB: far above the content store's 256 KiB maximum chunk, far below a memory problem.
    public static let defaultMaxFrameLength = 16 << 20

    public let maxFrameLength: Int

    private var buffer: [UInt8] = []
    /// Index in `buffer` of the first byte not yet returned in a frame.
    private var start = 0
    private var failure: FrameError?

    /// Whether frames may be marked compressed (a fetch that asked for it); otherwise a
    /// marked frame is a ``FrameError/unexpectedCompression``.
    public let allowsCompression: Bool

    /// `maxFrameLength` is clamped to what a u32 length without its flag bit can express.
    public init(maxFrameLength: Int = FrameDecoder.defaultMaxFrameLength, allowsCompression: Bool = false) {
        self.maxFrameLength = min(max(maxFrameLength, 0), Int(ChunkFrame.compressedFlag - 1))
        self.allowsCompression = allowsCompression
    }

    /// Adds the next bytes of the stream.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        // Drop consumed bytes once they are at least half the buffer: amortised linear time.
        if start > 0, start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes are appended.
    public mutating func next() throws(FrameError) -> ChunkFrame? {
        if let failure { throw failure }
        let available = buffer.count - start
        guard available >= ChunkFrame.headerSize else { return nil }

        let lengthStart = start + ChunkDigest.byteCount
        var length = 0
        for byte in buffer[lengthStart..<lengthStart + 4] {
            length = length << 8 | Int(byte)
        }
        let compressed = length & Int(ChunkFrame.compressedFlag) != 0
        if compressed {
            guard allowsCompression else {
                failure = .unexpectedCompression
                throw .unexpectedCompression
            }
            length &= Int(ChunkFrame.compressedFlag - 1)
        }
        guard length <= maxFrameLength else {
            let error = FrameError.frameTooLong(length: length, limit: maxFrameLength)
            failure = error
            throw error
        }
        guard available >= ChunkFrame.headerSize + length else { return nil }

        let bodyStart = start + ChunkFrame.headerSize
        // 32 bytes by construction, so the id always parses.
        let frame = ChunkFrame(
            id: ChunkDigest(bytes: buffer[start..<lengthStart])!,
            bytes: Array(buffer[bodyStart..<bodyStart + length]),
            compressed: compressed
        )
        start = bodyStart + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return frame
    }

    /// Declares the end of the stream, once ``next()`` has returned nil: throws
    /// ``FrameError/truncated(bufferedBytes:)`` if any bytes are left that did not make up a
    /// returned frame, because a sender that stopped mid-frame must not look like a short
    /// but complete transfer.
    public func finish() throws(FrameError) {
        if let failure { throw failure }
        let remaining = buffer.count - start
        guard remaining == 0 else { throw .truncated(bufferedBytes: remaining) }
    }
}
