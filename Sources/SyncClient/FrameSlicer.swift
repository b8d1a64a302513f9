import NIOCore
import SyncProtocol

/// Reads frames of the chunk stream (see ``ChunkFrame``) from the pieces of a response
/// body: a frame that lies within one piece comes out as a slice of it, its bytes never
/// copied; one split across pieces is put together in a buffer of its own.
///
///     var slicer = FrameSlicer()
///     for try await piece in body {
///         slicer.append(piece)
///         while let frame = try slicer.next() { … }
///     }
///     try slicer.finish()
///
/// ``FrameDecoder`` copied every body into an array of its own: 516 MB copied once more
/// for the benchmarks' pull, each copy to memory just allocated. Pieces here are the
/// transport's receive buffers (256 KiB), so most frames of 64 KiB chunks are slices.
/// A frame holds on to its piece's buffer until it is let go.
struct FrameSlicer {
    struct Frame {
        var id: ChunkDigest
        var bytes: ByteBuffer
        var compressed: Bool
    }

    let maxFrameLength: Int
    let allowsCompression: Bool

    /// What is left of the last piece appended.
    private var piece = ByteBuffer()
    /// A header split across pieces, so far.
    private var header: [UInt8] = []
    /// The frame whose body is arriving, and that body so far when it is split across pieces.
    private var current: (id: ChunkDigest, length: Int, compressed: Bool)?
    private var body: ByteBuffer?

    init(maxFrameLength: Int = FrameDecoder.defaultMaxFrameLength, allowsCompression: Bool = false) {
        self.maxFrameLength = maxFrameLength
        self.allowsCompression = allowsCompression
    }

    /// Adds the next piece of the stream.
    mutating func append(_ next: ByteBuffer) {
        guard piece.readableBytes > 0 else {
            piece = next
            return
        }
        // Only when pieces are added before the frames in the last one were taken.
        var next = next
        piece.writeBuffer(&next)
    }

    /// The next complete frame, or nil until more pieces are appended. An error is final:
    /// the stream has lost its framing.
    mutating func next() throws(FrameError) -> Frame? {
        if current == nil {
            guard let frame = try readHeader() else { return nil }
            current = frame
        }
        guard let frame = current else { return nil }
        if body == nil, piece.readableBytes >= frame.length {
            current = nil
            return Frame(id: frame.id, bytes: piece.readSlice(length: frame.length)!, compressed: frame.compressed)
        }
        var gathered = body ?? ByteBufferAllocator().buffer(capacity: frame.length)
        let take = min(frame.length - gathered.readableBytes, piece.readableBytes)
        var part = piece.readSlice(length: take)!
        gathered.writeBuffer(&part)
        guard gathered.readableBytes == frame.length else {
            body = gathered
            return nil
        }
        body = nil
        current = nil
        return Frame(id: frame.id, bytes: gathered, compressed: frame.compressed)
    }

    /// Checks that the stream ended on a frame boundary, with every frame taken.
    func finish() throws(FrameError) {
        let buffered = header.count + piece.readableBytes + (current == nil ? 0 : ChunkFrame.headerSize + (body?.readableBytes ?? 0))
        guard buffered == 0 else { throw .truncated(bufferedBytes: buffered) }
    }

    /// The next frame's header, once all of it has arrived.
    private mutating func readHeader() throws(FrameError) -> (id: ChunkDigest, length: Int, compressed: Bool)? {
        let size = ChunkFrame.headerSize
        if header.isEmpty, piece.readableBytes >= size {
            defer { piece.moveReaderIndex(forwardBy: size) }
            return try piece.withUnsafeReadableBytes { parse(UnsafeRawBufferPointer(rebasing: $0[..<size])) }.get()
        }
        header += piece.readBytes(length: min(size - header.count, piece.readableBytes))!
        guard header.count == size else { return nil }
        defer { header.removeAll(keepingCapacity: true) }
        return try header.withUnsafeBytes(parse).get()
    }

    private func parse(_ bytes: UnsafeRawBufferPointer) -> Result<(id: ChunkDigest, length: Int, compressed: Bool), FrameError> {
        ChunkFrame.header(bytes, allowsCompression: allowsCompression, maxLength: maxFrameLength)
    }
}
