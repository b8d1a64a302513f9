import Foundation
import Ledger
import Testing

@Suite("Invoice numbers")
struct InvoiceNumberTests {
    @Test("format as YYYY/NNNN", arguments: [
        (2026, 1, "2026/0001"), (2026, 42, "2026/0042"), (2026, 9999, "2026/9999"), (2026, 12345, "2026/12345"),
        (999, 7, "0999/0007"),
    ])
    func format(year: Int, sequence: Int, text: String) throws {
        let number = try #require(InvoiceNumber(year: year, sequence: sequence))
        #expect(number.description == text)
        #expect(InvoiceNumber(text) == number)
    }

    @Test("only the canonical spelling parses", arguments: [
        "2026/1", "2026/001", "2026/00001", "2026/0000", "26/0001", "2026-0001", "2026/0001/1", "", "/0001",
        "2026/", "2026/+001", "2026/ 001", "0000/0001", "2026/1000000000",
    ])
    func invalid(text: String) {
        #expect(InvoiceNumber(text) == nil)
    }

    @Test("the first invoice of a year is number 1")
    func first() throws {
        #expect(try InvoiceNumber.next(after: nil, year: 2026) == number("2026/0001"))
    }

    @Test("numbers follow each other within a year")
    func sequential() throws {
        #expect(try InvoiceNumber.next(after: number("2026/0041"), year: 2026) == number("2026/0042"))
        #expect(try InvoiceNumber.next(after: number("2026/9999"), year: 2026) == number("2026/10000"))
    }

    @Test("a new year restarts at 1")
    func yearBoundary() throws {
        #expect(try InvoiceNumber.next(after: number("2025/0317"), year: 2026) == number("2026/0001"))
        #expect(try InvoiceNumber.next(after: number("2024/0012"), year: 2026) == number("2026/0001"))
    }

    @Test("a year before the last number's is refused")
    func yearBehind() {
        #expect(throws: LedgerError.invoiceYearBehind(last: number("2026/0003"), year: 2025)) {
            try InvoiceNumber.next(after: number("2026/0003"), year: 2025)
        }
    }

    @Test("the last sequence of a year cannot be followed")
    func exhausted() throws {
        let last = try #require(InvoiceNumber(year: 2026, sequence: InvoiceNumber.maximumSequence))
        #expect(throws: LedgerError.overflow) { try InvoiceNumber.next(after: last, year: 2026) }
    }

    @Test("numbers order by year, then sequence")
    func order() {
        #expect(number("2025/9999") < number("2026/0001"))
        #expect(number("2026/0002") < number("2026/0010"))
        #expect(number("2026/9999") < number("2026/10000"))
    }

    @Test("numbers encode as their text")
    func coding() throws {
        let json = try JSONEncoder().encode([number("2026/0007")])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026\/0007"]"# || String(decoding: json, as: UTF8.self) == #"["2026/0007"]"#)
        #expect(try JSONDecoder().decode([InvoiceNumber].self, from: json) == [number("2026/0007")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([InvoiceNumber].self, from: Data(#"["2026/7"]"#.utf8)) }
    }
}
