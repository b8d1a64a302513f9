/// An invoice number, `YYYY/NNNN`: the year and a sequence that restarts at 1 every year.
///
/// Italian invoices are numbered per calendar year with no gaps. This type computes the next
/// number; allocating it without gaps (read the last number and insert the new invoice in one
/// transaction) is the catalog's job. Sequences above 9999 simply grow a digit
/// (`2026/10000`). Encodes as its text.
public struct InvoiceNumber: Hashable, Comparable, Sendable {
    /// 1...9999
    public let year: Int
    /// 1...999_999_999
    public let sequence: Int

    public static let maximumSequence = 999_999_999

    /// Nil unless year is 1...9999 and sequence 1...999 999 999.
    public init?(year: Int, sequence: Int) {
        guard (1...9999).contains(year), (1...InvoiceNumber.maximumSequence).contains(sequence) else { return nil }
        self.year = year
        self.sequence = sequence
    }

    /// The number to give the next invoice of `year`, `last` being the highest number issued so
    /// far (nil if none ever). A new year restarts at 1; a year before `last`'s is refused.
    public static func next(after last: InvoiceNumber?, year: Int) throws(LedgerError) -> InvoiceNumber {
        guard let last, last.year == year else {
            if let last, last.year > year { throw .invoiceYearBehind(last: last, year: year) }
            guard let first = InvoiceNumber(year: year, sequence: 1) else { throw .overflow }
            return first
        }
        guard let next = InvoiceNumber(year: year, sequence: last.sequence + 1) else { throw .overflow }
        return next
    }

    public static func < (a: InvoiceNumber, b: InvoiceNumber) -> Bool { (a.year, a.sequence) < (b.year, b.sequence) }
}

extension InvoiceNumber: CustomStringConvertible, LosslessStringConvertible {
    /// `2026/0001`: four-digit year, sequence zero-padded to at least four digits.
    public var description: String { "\(pad(year, 4))/\(pad(sequence, 4))" }

    /// Parses the canonical form only (`2026/0001`, `2026/12345`), so every number has exactly
    /// one spelling: `2026/1` and `2026/00001` are refused.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count >= 4,
              let year = decimal(parts[0]), let sequence = decimal(parts[1]),
              parts[1].count == 4 || parts[1].first != "0"
        else { return nil }
        self.init(year: year, sequence: sequence)
    }
}

extension InvoiceNumber: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let number = InvoiceNumber(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an invoice number YYYY/NNNN: \(text)")
        }
        self = number
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
