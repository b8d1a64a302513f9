import Foundation
import Ledger
import Testing

@Suite("Money, time and percent values")
struct ValueTypeTests {
    @Test("cents and minutes encode as plain JSON integers")
    func plainIntegerJSON() throws {
        struct Row: Codable, Equatable {
            var amount: Cents
            var used: Minutes
            var vat: Percent
        }
        let row = Row(amount: 87840, used: 1320, vat: 22)
        let json = try JSONEncoder.sorted.encode(row)
        #expect(String(decoding: json, as: UTF8.self) == #"{"amount":87840,"used":1320,"vat":22}"#)
        #expect(try JSONDecoder().decode(Row.self, from: json) == row)
    }

    @Test("a percent outside 0...100 cannot be built or decoded")
    func percentRange() {
        #expect(Percent(rawValue: 0) != nil)
        #expect(Percent(rawValue: 100) != nil)
        #expect(Percent(rawValue: 101) == nil)
        #expect(Percent(rawValue: -1) == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Percent].self, from: Data("[101]".utf8)) }
    }

    @Test("cents add, subtract and compare like integers")
    func arithmetic() {
        var balance: Cents = .zero
        balance += 87840
        balance -= 840
        #expect(balance == 87000)
        #expect(Cents(1) < Cents(2))
        #expect(Minutes(1200) + Minutes(120) == Minutes(1320))
        #expect([Minutes(3), 1, 2].max() == 3)
    }

    @Test("cents print as euros with two decimals", arguments: [
        (Cents(87840), "878.40"), (Cents(5), "0.05"), (Cents(0), "0.00"), (Cents(-50), "-0.50"),
        (Cents(.min), "-92233720368547758.08"),
    ])
    func description(amount: Cents, text: String) {
        #expect(amount.description == text)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}

@Suite("Parsing euro amounts")
struct EuroParsingTests {
    @Test("amounts as people type them", arguments: [
        ("60", 6000), ("60.5", 6050), ("60.50", 6050), ("60,50", 6050), ("0.01", 1), ("0", 0), ("1234567.89", 123_456_789),
    ] as [(String, Int64)])
    func valid(text: String, cents: Int64) {
        #expect(Cents(euros: text) == Cents(cents))
    }

    @Test("anything else is refused", arguments: ["", "-1", "1.234", "1.", ".5", "1,000.00", "12a", "1e3", " 1", "99999999999999", "٣"])
    func invalid(text: String) {
        #expect(Cents(euros: text) == nil)
    }
}

@Suite("Parsing hours")
struct HourParsingTests {
    @Test("durations as people type them", arguments: [
        ("20", 1200), ("1.5", 90), ("1,25", 75), ("0.75", 45), ("1:30", 90), ("0:05", 5), ("0", 0), ("2.1", 126),
    ] as [(String, Int64)])
    func valid(text: String, minutes: Int64) {
        #expect(Minutes(hours: text) == Minutes(minutes))
    }

    @Test("anything else is refused", arguments: ["", "-1", "1.333", "1:5", "1:60", "a", "1.", ":30", "1:30:00", "1e2"])
    func invalid(text: String) {
        #expect(Minutes(hours: text) == nil)
    }

    @Test("h:mm formatting")
    func formatting() {
        #expect(Minutes(1200).hoursAndMinutes == "20:00")
        #expect(Minutes(-90).hoursAndMinutes == "-1:30")
        #expect(Minutes(5).hoursAndMinutes == "0:05")
    }
}
