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

extension Cents {
    /// Parses an amount of euros as people type it: `60`, `60.5`, `60.50` or
    /// `60,50`; at most two decimals, no sign, no thousands separators. Nil for
    /// anything else, including amounts beyond ten trillion euros.
    public init?(euros text: String) {
        let parts = text.split(separator: text.contains(",") ? "," : ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 13,
              whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber), let euros = Int64(whole)
        else { return nil }
        var cents: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber),
                  let value = Int64(fraction)
            else { return nil }
            cents = fraction.count == 1 ? value * 10 : value
        }
        self.init(euros * 100 + cents)
    }
}
