/// Where a JSON value that starts at a given byte ends: strings and brackets are followed,
/// the rest is left to `JSONDecoder`.
public struct JSONValueScan {
    public enum Step: Sendable { case more, done, endedBefore }

    private var depth = 0, inString = false, escaped = false, scalar = false

    public init() {}

    /// JSON's whitespace, as `JSONDecoder` takes it.
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Whether a value can start with `byte` (not whitespace, which the caller skips).
    public static func canStart(_ byte: UInt8) -> Bool {
        byte != UInt8(ascii: ",") && byte != UInt8(ascii: "]") && byte != UInt8(ascii: "}") && byte != UInt8(ascii: ":")
    }

    /// The next byte of the value: `.done` if it ends it, `.endedBefore` if the value (a
    /// number or literal) ended just before it.
    public mutating func next(_ byte: UInt8) -> Step {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
                if depth == 0 { return .done }
            }
            return .more
        }
        if scalar {
            let ends = Self.isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
            return ends ? .endedBefore : .more
        }
        switch byte {
        case UInt8(ascii: "\""):
            inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 { return .done }
        default:
            if depth == 0 { scalar = true }
        }
        return .more
    }
}
