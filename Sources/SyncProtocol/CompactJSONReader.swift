/// A type read without Foundation's `JSONDecoder` when its JSON is in the one compact form
/// its writer produces (keys in order, no spaces): chunk id lists, and a pull's change feed.
/// Anything else is nil, and goes to `JSONDecoder`.
public protocol CompactJSONDecodable: Decodable {
    /// The value, if `bytes` are exactly the compact JSON its writer produces.
    static func compactJSON(_ bytes: UnsafeRawBufferPointer) -> Self?
}

/// Reads the compact JSON of ``CompactJSONDecodable`` types, byte by byte; any surprise is
/// nil (and the caller then leaves the whole document to `JSONDecoder`).
package struct CompactJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package var atEnd: Bool { position == bytes.count }

    /// Where the reader is, to take the bytes of what it reads next with ``bytes(from:)``.
    package var offset: Int { position }

    /// The bytes read since `offset` was `start`.
    package func bytes(from start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// Consumes `text` if the bytes continue with it.
    package mutating func take(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        let matches = text.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[position + $0] == expected[$0] }
        }
        if matches { position += count }
        return matches
    }

    /// A string of letters, digits and `-` (no escapes), after its opening quote; consumes the closing one.
    package mutating func plainString() -> String? {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            let c = bytes[position]
            guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x2D else { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// A string, quotes included, its escapes undone. Nil for a raw control character, an
    /// escape JSON does not have, a lone surrogate or bytes that are not UTF-8.
    package mutating func string() -> String? {
        guard take("\"") else { return nil }
        let start = position
        // Most strings have no escape: one pass, one validation.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            position += 1
        }
        var unescaped = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: unescaped, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return nil }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escape)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    unescaped.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0x00..<0x20:
                return nil
            default:
                unescaped.append(byte)
            }
        }
        return nil
    }

    /// The scalar of `\uXXXX` (after its `\u`), with the low half of a surrogate pair.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hexQuad() else { return nil }
        guard (0xD800..<0xDC00).contains(high) else { return Unicode.Scalar(high) }
        guard take("\\u"), let low = hexQuad(), (0xDC00..<0xE000).contains(low) else { return nil }
        return Unicode.Scalar(0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
    }

    private mutating func hexQuad() -> UInt32? {
        guard bytes.count - position >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// An integer as `JSONEncoder` writes one: an optional `-`, then digits without a
    /// leading zero. A fraction, an exponent or an overflow is nil.
    package mutating func integer() -> Int64? {
        let negative = take("-")
        let start = position
        var value: Int64 = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let digit = Int64(bytes[position] - UInt8(ascii: "0"))
            // Toward the sign, so Int64.min fits.
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, carried) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow, !carried else { return nil }
            value = next
            position += 1
        }
        let count = position - start
        guard count > 0, count == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) { return nil }
        return value
    }

    package mutating func bool() -> Bool? {
        if take("true") { return true }
        if take("false") { return false }
        return nil
    }

    /// `"<64 hex digits>"`.
    package mutating func digest() -> ChunkDigest? {
        guard bytes.count - position >= 66, bytes[position] == UInt8(ascii: "\""), bytes[position + 65] == UInt8(ascii: "\""),
              let digest = ChunkDigest(hexDigits: UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<(position + 65)]))
        else { return nil }
        position += 66
        return digest
    }

    /// `[]` or `[e1,e2,…]`, each element read by `element` (nil: not this form).
    /// `capacity` is a guess of the count, reserved up front.
    package mutating func array<Element>(capacity: Int = 0, _ element: (inout CompactJSONReader) -> Element?) -> [Element]? {
        guard take("[") else { return nil }
        var out: [Element] = []
        out.reserveCapacity(capacity)
        if take("]") { return out }
        repeat {
            guard let next = element(&self) else { return nil }
            out.append(next)
        } while take(",")
        return take("]") ? out : nil
    }

    /// `[]` or `["<64 hex digits>",…]`.
    package mutating func digests() -> [ChunkDigest]? {
        array(capacity: (bytes.count - position) / 67) { $0.digest() }
    }

    /// The bytes of the next value, whatever it is, unread (only its strings and brackets
    /// are followed, to find its end).
    package mutating func skipValue() -> UnsafeRawBufferPointer? {
        let start = position
        var scan = JSONValueScan()
        while position < bytes.count {
            switch scan.next(bytes[position]) {
            case .more:
                position += 1
            case .done:
                position += 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
            case .endedBefore:
                return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
            }
        }
        return nil
    }
}
