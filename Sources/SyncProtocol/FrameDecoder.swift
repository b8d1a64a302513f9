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
/// Each body byte is copied once, from the appended piece straight into its frame's
/// array, which is allocated at its exact length once the header has arrived. Memory
/// stays bounded by the largest frame plus the largest piece appended: a frame whose
/// header declares more than ``maxFrameLength`` bytes is refused before its body is
/// buffered. Errors are final: the stream has lost its framing, so every later call to
/// ``next()`` or ``finish()`` throws the same error (after the frames before it).
public struct FrameDecoder: Sendable {
    /// 16 MiB: far above the content store's 256 KiB maximum chunk, far below a memory problem.
    public static let defaultMaxFrameLength = 16 << 20

    public let maxFrameLength: Int

    /// Whether frames may be marked compressed (a fetch that asked for it); otherwise a
    /// marked frame is a ``FrameError/unexpectedCompression``.
    public let allowsCompression: Bool

    /// The bytes of a header not complete yet.
    private var header: [UInt8] = []
    /// The frame whose body is arriving, and its body so far.
    private var current: (id: ChunkDigest, length: Int, compressed: Bool)?
    private var body: [UInt8] = []
    /// Complete frames not yet returned by ``next()``, from index `head` on.
    private var ready: [ChunkFrame] = []
    private var head = 0
    private var failure: FrameError?

    /// `maxFrameLength` is clamped to what a u32 length without its flag bit can express.
    public init(maxFrameLength: Int = FrameDecoder.defaultMaxFrameLength, allowsCompression: Bool = false) {
        self.maxFrameLength = min(max(maxFrameLength, 0), Int(ChunkFrame.compressedFlag - 1))
        self.allowsCompression = allowsCompression
    }

    /// Adds the next bytes of the stream.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard failure == nil else { return }
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { consume(UnsafeRawBufferPointer($0)) }
        if contiguous == nil { Array(bytes).withUnsafeBytes { consume($0) } }
    }

    /// The next complete frame, or nil until more bytes are appended.
    public mutating func next() throws(FrameError) -> ChunkFrame? {
        guard head < ready.count else {
            if let failure { throw failure }
            return nil
        }
        let frame = ready[head]
        head += 1
        if head == ready.count {
            ready.removeAll(keepingCapacity: true)
            head = 0
        }
        return frame
    }

    /// Checks that the stream ended on a frame boundary, with every frame taken.
    public func finish() throws(FrameError) {
        if let failure { throw failure }
        let arriving = current == nil ? header.count : ChunkFrame.headerSize + body.count
        let remaining = arriving + ready[head...].reduce(0) { $0 + ChunkFrame.headerSize + $1.bytes.count }
        guard remaining == 0 else { throw .truncated(bufferedBytes: remaining) }
    }

    private mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            if let frame = current {
                let take = min(frame.length - body.count, bytes.count - offset)
                body.append(contentsOf: bytes[offset..<offset + take])
                offset += take
                if body.count == frame.length { complete() }
                continue
            }
            let take = min(ChunkFrame.headerSize - header.count, bytes.count - offset)
            header.append(contentsOf: bytes[offset..<offset + take])
            offset += take
            guard header.count == ChunkFrame.headerSize else { return }
            guard startFrame() else { return }
        }
    }

    /// Reads the complete header: false (and the failure set) if the frame is refused.
    private mutating func startFrame() -> Bool {
        switch header.withUnsafeBytes({ ChunkFrame.header($0, allowsCompression: allowsCompression, maxLength: maxFrameLength) }) {
        case .failure(let error):
            failure = error
            return false
        case .success(let frame):
            current = frame
            header.removeAll(keepingCapacity: true)
            body = []
            body.reserveCapacity(frame.length)
            if frame.length == 0 { complete() }
            return true
        }
    }

    private mutating func complete() {
        guard let frame = current else { return }
        ready.append(ChunkFrame(id: frame.id, bytes: body, compressed: frame.compressed))
        body = []
        current = nil
    }
}
