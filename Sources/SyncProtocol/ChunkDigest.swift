/// The SHA-256 that names a chunk on the wire: 32 raw bytes in a frame, 64 lowercase hex
/// digits in JSON.
///
/// The same bytes and hex form as the content store's chunk id; SyncProtocol imports
/// nothing of ours, so server and client convert at their edges. Four words rather than
/// an array, so sets of ids cost no allocation.
public struct ChunkDigest: Hashable, Comparable, Sendable {
    public static let byteCount = 32

    private var w0, w1, w2, w3: UInt64

    /// Returns nil unless `bytes` holds exactly 32 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        for (index, byte) in bytes.enumerated() {
            let word = UInt64(byte) << (56 - 8 * UInt64(index % 8))
            switch index / 8 {
            case 0: words.0 |= word
            case 1: words.1 |= word
            case 2: words.2 |= word
            default: words.3 |= word
            }
        }
        (w0, w1, w2, w3) = words
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        guard let digest = Array(hex.utf8).withUnsafeBytes({ Self(hexDigits: $0) }) else { return nil }
        self = digest
    }

    /// The id as four big-endian words (the form `ContentStore.ChunkID` keeps too):
    /// converting between the two costs no allocation.
    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    public var words: (UInt64, UInt64, UInt64, UInt64) { (w0, w1, w2, w3) }

    /// Parses exactly 64 hex digits (either case), without allocating: a table lookup per
    /// digit, a bad one flagged by the entry's high bit and checked once at the end (a
    /// digit at a time with a range check each, the 10,000 ids of a 2,004-file change feed
    /// took 4 ms).
    init?(hexDigits digits: UnsafeRawBufferPointer) {
        guard digits.count == 2 * Self.byteCount, let base = digits.baseAddress else { return nil }
        var flags: UInt8 = 0
        let words = Self.nibbles.withUnsafeBufferPointer { table in
            func word(_ start: Int) -> UInt64 {
                var value: UInt64 = 0
                for index in start..<(start + 16) {
                    let nibble = table[Int(base.load(fromByteOffset: index, as: UInt8.self))]
                    flags |= nibble
                    value = value << 4 | UInt64(nibble & 0x0F)
                }
                return value
            }
            return (word(0), word(16), word(32), word(48))
        }
        guard flags & 0x80 == 0 else { return nil }
        (w0, w1, w2, w3) = words
    }

    /// Each byte's value as a hex digit, or 0x80 for a byte that is not one.
    private static let nibbles: [UInt8] = (0...255).map { byte in nibble(UInt8(byte)) ?? 0x80 }

    /// Appends the 64 lowercase hex digits.
    func appendHex(to json: inout JSONPieces) {
        forEachHexDigit { json.append($0) }
    }

    /// Calls `body` with each of the 64 lowercase hex digits, in order.
    private func forEachHexDigit(_ body: (UInt8) -> Void) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { digits in
            for word in [w0, w1, w2, w3] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    body(digits[Int((word >> UInt64(shift)) & 0xF)])
                }
            }
        }
    }

    /// The 32 bytes, in order (big-endian words, so the order matches the hex form).
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.byteCount)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        var out = [UInt8]()
        out.reserveCapacity(2 * Self.byteCount)
        forEachHexDigit { out.append($0) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (a: ChunkDigest, b: ChunkDigest) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension ChunkDigest: CustomStringConvertible {
    public var description: String { hex }
}

extension ChunkDigest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let digest = ChunkDigest(hex: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 64-digit hex chunk id")
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
