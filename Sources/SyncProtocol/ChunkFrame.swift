/// One chunk in a framed chunk stream, the binary body of `POST /v1/chunks/fetch` and
/// `PUT /v1/chunks`.
///
/// On the wire a stream is frames back to back, with no stream header or trailer:
///
///     [32-byte id][u32 big-endian length][length bytes]
///
/// so many chunks travel in one request, and a receiver can act on each frame as soon as
/// it has arrived.
public struct ChunkFrame: Hashable, Sendable {
    public var id: ChunkDigest
    public var bytes: [UInt8]
    /// The bytes are deflated (see ``ChunkCompression``): the length's top bit was set.
    public var compressed: Bool

    public init(id: ChunkDigest, bytes: [UInt8], compressed: Bool = false) {
        self.id = id
        self.bytes = bytes
        self.compressed = compressed
    }

    /// The top bit of a frame's length marks a deflated body.
    public static let compressedFlag: UInt32 = 1 << 31

    /// Bytes of a frame before its body: the id and the length.
    public static let headerSize = ChunkDigest.byteCount + 4

    /// What a frame's header (its first ``headerSize`` bytes) says: the chunk, its body's
    /// length and whether the body is deflated. The length is checked against `maxLength`
    /// before any of the body is buffered, so a hostile length costs no memory. A `Result`,
    /// as its readers call it inside `withUnsafeBytes`, whose closures throw untyped errors.
    public static func header(
        _ bytes: UnsafeRawBufferPointer, allowsCompression: Bool, maxLength: Int
    ) -> Result<(id: ChunkDigest, length: Int, compressed: Bool), FrameError> {
        precondition(bytes.count == headerSize, "a frame header is \(headerSize) bytes")
        var word: UInt32 = 0
        for byte in bytes[ChunkDigest.byteCount...] { word = word << 8 | UInt32(byte) }
        let compressed = word & compressedFlag != 0
        if compressed && !allowsCompression { return .failure(.unexpectedCompression) }
        let length = Int(word & (compressedFlag - 1))
        guard length <= maxLength else { return .failure(.frameTooLong(length: length, limit: maxLength)) }
        // 32 bytes by construction, so the id always parses.
        return .success((ChunkDigest(bytes: bytes[..<ChunkDigest.byteCount])!, length, compressed))
    }
}

/// Writes frames of the chunk stream (see ``ChunkFrame``).
public enum FrameEncoder {
    /// The header of a frame whose body of `length` bytes the caller writes next, for a
    /// sender that streams chunk bytes from storage without building the frame in memory.
    public static func header(id: ChunkDigest, length: Int, compressed: Bool = false) throws(FrameError) -> [UInt8] {
        guard length >= 0, var length32 = UInt32(exactly: length), length32 < ChunkFrame.compressedFlag else {
            throw .frameTooLong(length: length, limit: Int(ChunkFrame.compressedFlag - 1))
        }
        if compressed { length32 |= ChunkFrame.compressedFlag }
        var header = id.bytes
        header.reserveCapacity(ChunkFrame.headerSize)
        for shift in stride(from: 24, through: 0, by: -8) {
            header.append(UInt8(truncatingIfNeeded: length32 >> UInt32(shift)))
        }
        return header
    }

    /// Appends one whole frame to `buffer`.
    public static func append(id: ChunkDigest, bytes: some Collection<UInt8>, to buffer: inout [UInt8]) throws(FrameError) {
        buffer.append(contentsOf: try header(id: id, length: bytes.count))
        buffer.append(contentsOf: bytes)
    }

    /// One whole frame.
    public static func encode(id: ChunkDigest, bytes: some Collection<UInt8>) throws(FrameError) -> [UInt8] {
        var frame = [UInt8]()
        frame.reserveCapacity(ChunkFrame.headerSize + bytes.count)
        try append(id: id, bytes: bytes, to: &frame)
        return frame
    }
}
