/// A whole percentage from 0 to 100: a plan discount, a VAT rate, a bonus.
///
/// Whole percents keep every price an exact integer ratio; a value outside 0...100 cannot
/// be built (`init(rawValue:)` returns nil and decoding throws), so pricing never sees one.
public struct Percent: RawRepresentable, Hashable, Comparable, Sendable, Codable {
    public let rawValue: Int64

    public init?(rawValue: Int64) {
        guard (0...100).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public static func < (a: Percent, b: Percent) -> Bool { a.rawValue < b.rawValue }
}

extension Percent: ExpressibleByIntegerLiteral {
    /// For constants written in code; a literal outside 0...100 is a programming error.
    public init(integerLiteral value: Int64) {
        precondition((0...100).contains(value), "a percent literal must be within 0...100")
        self.rawValue = value
    }
}

extension Percent: CustomStringConvertible {
    public var description: String { "\(rawValue)%" }
}
