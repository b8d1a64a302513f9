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
