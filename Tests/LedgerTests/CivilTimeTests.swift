import Foundation
import Ledger
import Testing

@Suite("Civil dates and Europe/Rome time")
struct CivilTimeTests {
    @Test("days since 1970-01-01 and back", arguments: [
        ("1970-01-01", 0), ("1969-12-31", -1), ("2000-03-01", 11017), ("2026-04-06", 20549), ("1600-01-01", -135140),
    ] as [(String, Int64)])
    func daysSinceEpoch(text: String, days: Int64) throws {
        let date = try #require(CivilDate(text))
        #expect(date.daysSinceEpoch == days)
        #expect(CivilDate(daysSinceEpoch: days) == date)
        #expect(date.description == text)
    }

    @Test("weekdays")
    func weekdays() {
        #expect(day(1970, 1, 1).weekday == .thursday)
        #expect(day(2026, 4, 6).weekday == .monday)
        #expect(day(2026, 1, 16).weekday == .friday)
        #expect(day(2026, 3, 29).weekday == .sunday)
        #expect(day(1969, 12, 28).weekday == .sunday)
    }

    @Test("dates that do not exist are refused")
    func invalidDates() {
        #expect(CivilDate(year: 2026, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2026, month: 4, day: 31) == nil)
        #expect(CivilDate(year: 2026, month: 13, day: 1) == nil)
        #expect(CivilDate("2026-4-06") == nil)
        #expect(CivilDate("2026-04-06x") == nil)
    }

    @Test("Easter Sunday by the Gregorian computus", arguments: [
        (2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2027, "2027-03-28"),
        (2000, "2000-04-23"), (2038, "2038-04-25"), (1818, "1818-03-22"), (2285, "2285-03-22"), (1943, "1943-04-25"),
    ])
    func easter(year: Int, text: String) {
        #expect(CivilDate.easterSunday(year: year).description == text)
    }

    @Test("last Sundays of March and October 2026")
    func lastSundays() {
        #expect(CivilDate.last(.sunday, of: 3, year: 2026) == day(2026, 3, 29))
        #expect(CivilDate.last(.sunday, of: 10, year: 2026) == day(2026, 10, 25))
        #expect(CivilDate.last(.sunday, of: 5, year: 2026) == day(2026, 5, 31))  // the month's last day
    }

    @Test("Rome is UTC+1 in winter and UTC+2 from 29 Mar to 25 Oct 2026, switching at 01:00 UTC")
    func romeOffsets() {
        let rome = CivilTimeZone.europeRome
        #expect(rome.offset(at: utc(2026, 1, 15, 12)) == 60)
        #expect(rome.offset(at: utc(2026, 3, 29, 0, 59, 59)) == 60)
        #expect(rome.offset(at: utc(2026, 3, 29, 1)) == 120)
        #expect(rome.offset(at: utc(2026, 7, 1)) == 120)
        #expect(rome.offset(at: utc(2026, 10, 25, 0, 59, 59)) == 120)
        #expect(rome.offset(at: utc(2026, 10, 25, 1)) == 60)
        #expect(rome.offset(at: utc(2026, 12, 31, 23)) == 60)
    }

    @Test("wall clock around the spring change: 02:00 jumps to 03:00")
    func springForward() {
        let rome = CivilTimeZone.europeRome
        #expect(rome.local(utc(2026, 3, 29, 0, 59, 59)) == LocalDateTime(date: day(2026, 3, 29), time: clock(1, 59, 59)))
        #expect(rome.local(utc(2026, 3, 29, 1)) == LocalDateTime(date: day(2026, 3, 29), time: clock(3)))
        // 02:30 does not exist; it resolves to the instant of 03:30 CEST.
        #expect(rome.instant(day(2026, 3, 29), clock(2, 30)) == utc(2026, 3, 29, 1, 30))
        #expect(rome.instant(day(2026, 3, 29), clock(3)) == utc(2026, 3, 29, 1))
    }

    @Test("wall clock around the autumn change: 02:00–03:00 happens twice")
    func fallBack() {
        let rome = CivilTimeZone.europeRome
        #expect(rome.local(utc(2026, 10, 25, 0, 30)) == LocalDateTime(date: day(2026, 10, 25), time: clock(2, 30)))
        #expect(rome.local(utc(2026, 10, 25, 1, 30)) == LocalDateTime(date: day(2026, 10, 25), time: clock(2, 30)))
        // The repeated 02:30 resolves to its first, summer-time occurrence.
        #expect(rome.instant(day(2026, 10, 25), clock(2, 30)) == utc(2026, 10, 25, 0, 30))
        #expect(rome.instant(day(2026, 10, 25), clock(3)) == utc(2026, 10, 25, 2))
    }

    @Test("working hours map to UTC with the day's offset")
    func workingHoursInUTC() {
        #expect(rome(2026, 1, 16, 9) == utc(2026, 1, 16, 8))
        #expect(rome(2026, 7, 16, 9) == utc(2026, 7, 16, 7))
        #expect(rome(2026, 3, 30, 9) == utc(2026, 3, 30, 7))
        #expect(rome(2026, 10, 26, 9) == utc(2026, 10, 26, 8))
    }

    @Test("instants before 1970 land on the right day")
    func beforeEpoch() {
        let local = CivilTimeZone.utc.local(UnixTime(-1))
        #expect(local == LocalDateTime(date: day(1969, 12, 31), time: clock(23, 59, 59)))
        #expect(UnixTime(-1).description == "1969-12-31T23:59:59Z")
    }

    @Test("instants print as ISO 8601 UTC and encode as plain integers")
    func unixTimeText() throws {
        #expect(utc(2026, 3, 29, 1).description == "2026-03-29T01:00:00Z")
        #expect(utc(2026, 3, 29, 1).rawValue == 1_774_746_000)
        let json = try JSONEncoder().encode([UnixTime(1_774_746_000)])
        #expect(String(decoding: json, as: UTF8.self) == "[1774746000]")
        #expect(utc(2026, 1, 1).adding(Minutes(90)) == utc(2026, 1, 1, 1, 30))
    }

    @Test("dates encode as YYYY-MM-DD")
    func dateCoding() throws {
        let json = try JSONEncoder().encode([day(2026, 4, 6)])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026-04-06"]"#)
        #expect(try JSONDecoder().decode([CivilDate].self, from: json) == [day(2026, 4, 6)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CivilDate].self, from: Data(#"["2026-02-30"]"#.utf8)) }
    }

    @Test("months add across years")
    func months() throws {
        let november = try #require(CivilMonth(year: 2026, month: 11))
        #expect(november.adding(months: 2).description == "2027-01")
        #expect(november.adding(months: -11).description == "2025-12")
        #expect(november.months(until: november.adding(months: 14)) == 14)
        #expect(november.firstDay == day(2026, 11, 1))
    }
}
