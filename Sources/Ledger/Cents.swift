/// An amount of money in euro cents.
///
/// Money is never a floating-point number: every amount is a whole number of cents, and
/// the one place that rounds is ``InvoiceLine/price(minutes:rateCents:discountPercent:vatPercent:)``.
/// Encodes as a plain JSON integer (`72000`, not `{"rawValue": 72000}`).
public struct Cents: RawRepresentable, Hashable, Comparable, Sendable, Codable {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public static func < (a: Cents, b: Cents) -> Bool { a.rawValue < b.rawValue }
}

/// Sums trap on overflow, as `Int64` does; a ledger balance never comes near 9.2 × 10¹⁶ EUR,
/// while pricing, where products of user input meet, reports overflow as an error instead.
extension Cents: AdditiveArithmetic {
    public static let zero = Cents(0)
    public static func + (a: Cents, b: Cents) -> Cents { Cents(a.rawValue + b.rawValue) }
    public static func - (a: Cents, b: Cents) -> Cents { Cents(a.rawValue - b.rawValue) }
}

extension Cents: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self.rawValue = value }
}

extension Cents: CustomStringConvertible {
    /// Euros with two decimals and no currency sign, e.g. `720.00` or `-0.50`.
    public var description: String {
        let magnitude = rawValue.magnitude  // UInt64, so Int64.min has a magnitude too
        let fraction = magnitude % 100
        return (rawValue < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}
