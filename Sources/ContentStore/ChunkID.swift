/// The SHA-256 of a chunk's plain bytes: its name everywhere in the store.
///
/// Held as four words rather than an array so that sets and dictionaries of
/// ids (the dedup set, the gc mark set) cost 32 bytes an entry, no allocation.
public struct ChunkID: Hashable, Comparable, Sendable {
    public static let byteCount = 32

    @usableFromInline var w0, w1, w2, w3: UInt64

    /// Reads 32 bytes (big-endian words, so the order matches the hex form).
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == Self.byteCount, "a chunk id is 32 bytes")
        w0 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        w1 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w2 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w3 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// The id as four big-endian words (the form the wire's `ChunkDigest` keeps too):
    /// converting between the two costs no allocation.
    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    public var words: (UInt64, UInt64, UInt64, UInt64) { (w0, w1, w2, w3) }

    /// Returns nil unless `bytes` holds exactly 32 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        let array = Array(bytes)
        self = array.withUnsafeBytes { ChunkID(bytes: $0) }
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 32 bytes, in order.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { write(to: $0) }
        return out
    }

    /// Writes the 32 bytes at the start of `buffer`.
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.byteCount)
        buffer.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    public var hex: String { Hex.encode(bytes) }

    public static func < (a: ChunkID, b: ChunkID) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

}
extension ChunkID: CustomStringConvertible {
    public var description: String { hex }
}

extension ChunkID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ChunkID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 64-digit hex chunk id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
