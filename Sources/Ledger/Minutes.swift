/// A duration of work in whole minutes.
///
/// Hours are quoted, credited and debited as minutes so that no fraction of an hour is
/// ever rounded twice. Encodes as a plain JSON integer.
public struct Minutes: RawRepresentable, Hashable, Comparable, Sendable, Codable {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public static func < (a: Minutes, b: Minutes) -> Bool { a.rawValue < b.rawValue }
}

/// Sums trap on overflow, as `Int64` does; see ``Cents``.
extension Minutes: AdditiveArithmetic {
    public static let zero = Minutes(0)
    public static func + (a: Minutes, b: Minutes) -> Minutes { Minutes(a.rawValue + b.rawValue) }
    public static func - (a: Minutes, b: Minutes) -> Minutes { Minutes(a.rawValue - b.rawValue) }
}

extension Minutes: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self.rawValue = value }
}

extension Minutes {
    /// Parses a duration as people type it: `20` (hours), `1.5` or `1,25` (decimal hours
    /// that make whole minutes), or `1:30` (hours and minutes). Nil for anything else,
    /// for negative values and for decimals that are not a whole number of minutes.
    public init?(hours text: String) {
        let isDigits = { (s: Substring) in !s.isEmpty && s.count <= 7 && s.allSatisfy { $0.isASCII && $0.isNumber } }
        if let colon = text.firstIndex(of: ":") {
            let hours = text[..<colon], minutes = text[text.index(after: colon)...]
            guard isDigits(hours), isDigits(minutes), minutes.count == 2, let h = Int64(hours), let m = Int64(minutes), m < 60 else { return nil }
            self.init(h * 60 + m)
            return
        }
        let parts = text.split(separator: text.contains(",") ? "," : ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), isDigits(parts[0]), let whole = Int64(parts[0]) else { return nil }
        var minutes = whole * 60
        if parts.count == 2 {
            let fraction = parts[1]
            guard isDigits(fraction), fraction.count <= 4, let value = Int64(fraction) else { return nil }
            // fraction/10^digits hours = value × 60 / 10^digits minutes: must be whole.
            var scale: Int64 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            guard (value * 60) % scale == 0 else { return nil }
            minutes += value * 60 / scale
        }
        self.init(minutes)
    }

    /// `h:mm`, e.g. `20:00` or `-1:30`.
    public var hoursAndMinutes: String {
        let magnitude = rawValue.magnitude
        let minutes = magnitude % 60
        return (rawValue < 0 ? "-" : "") + "\(magnitude / 60):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }
}
