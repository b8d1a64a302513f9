/// An instant: whole seconds since 1970-01-01 00:00:00 UTC, leap seconds ignored (POSIX time).
///
/// The ledger never reads a clock: callers pass instants in, so every rule is a pure function
/// of its inputs. Civil dates and the Europe/Rome offset are computed here with integer
/// arithmetic (see ``CivilDate`` and ``CivilTimeZone``), never with Foundation.
/// Encodes as a plain JSON integer.
public struct UnixTime: RawRepresentable, Hashable, Comparable, Sendable, Codable {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ seconds: Int64) { self.rawValue = seconds }

    public static func < (a: UnixTime, b: UnixTime) -> Bool { a.rawValue < b.rawValue }

    /// The instant `minutes` later (earlier if negative). Traps on overflow, as sums of
    /// ``Minutes`` do; instants stay within a few thousand years of 1970.
    public func adding(_ minutes: Minutes) -> UnixTime { UnixTime(rawValue + minutes.rawValue * 60) }

    /// The instant `seconds` later (earlier if negative).
    public func adding(seconds: Int64) -> UnixTime { UnixTime(rawValue + seconds) }

    /// The instant of a wall-clock time in UTC.
    public static func utc(_ date: CivilDate, _ time: TimeOfDay = .midnight) -> UnixTime {
        CivilTimeZone.utc.instant(date, time)
    }
}

extension UnixTime: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self.rawValue = value }
}

extension UnixTime: CustomStringConvertible {
    /// ISO 8601 in UTC, e.g. `2026-03-29T01:00:00Z`.
    public var description: String {
        let local = CivilTimeZone.utc.local(self)
        return "\(local.date)T\(local.time)Z"
    }
}

/// A day of the week, numbered as ISO 8601 does (Monday = 1 … Sunday = 7).
public enum Weekday: Int, Hashable, Comparable, Sendable, Codable, CaseIterable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    public static func < (a: Weekday, b: Weekday) -> Bool { a.rawValue < b.rawValue }

    /// Monday to Friday.
    public static let workingDays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]
}

/// A date in the proleptic Gregorian calendar, with no time zone attached.
///
/// Conversions use Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms: exact
/// integer arithmetic, valid for any year. Encodes as `"2026-04-06"`.
public struct CivilDate: Hashable, Comparable, Sendable {
    public let year: Int
    /// 1...12
    public let month: Int
    /// 1...31, valid for the month
    public let day: Int

    /// Nil unless the date exists (`2026-02-29` does not). Years are limited to 1...9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.init(unchecked: year, month, day)
    }

    fileprivate init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (before it if negative).
    public init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // March = 0
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(unchecked: Int(year), Int(month), Int(day))
    }

    /// Days since 1970-01-01 (negative before it).
    public var daysSinceEpoch: Int64 {
        let year = Int64(self.year) - (month <= 2 ? 1 : 0)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)  // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (ISO 4).
        let index = (daysSinceEpoch % 7 + 7 + 3) % 7
        return Weekday(rawValue: Int(index) + 1)!
    }

    public func adding(days: Int64) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Easter Sunday of a Gregorian year, by the anonymous Gregorian computus
    /// (Meeus/Jones/Butcher), e.g. 2026-04-05.
    public static func easterSunday(year: Int) -> CivilDate {
        let a = year % 19
        let b = year / 100, c = year % 100
        let d = b / 4, e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(unchecked: year, month, day)
    }

    /// The last given weekday of a month, e.g. the last Sunday of March.
    public static func last(_ weekday: Weekday, of month: Int, year: Int) -> CivilDate {
        let lastDay = CivilDate(unchecked: year, month, daysIn(month: month, year: year))
        let back = (lastDay.weekday.rawValue - weekday.rawValue + 7) % 7
        return lastDay.adding(days: Int64(-back))
    }
}

extension CivilDate: CustomStringConvertible, LosslessStringConvertible {
    /// `YYYY-MM-DD`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = decimal(parts[0]), let month = decimal(parts[1]), let day = decimal(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }
}

extension CivilDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a date YYYY-MM-DD: \(text)")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A calendar month, e.g. 2026-04: the unit of monthly billing.
public struct CivilMonth: Hashable, Comparable, Sendable, Codable {
    public let year: Int
    /// 1...12
    public let month: Int

    /// Nil unless month is 1...12 and year 1...9999.
    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    private init(unchecked year: Int, _ month: Int) {
        self.year = year
        self.month = month
    }

    public init(_ date: CivilDate) {
        self.year = date.year
        self.month = date.month
    }

    public var firstDay: CivilDate { CivilDate(unchecked: year, month, 1) }

    /// The month `count` months later (earlier if negative).
    public func adding(months count: Int) -> CivilMonth {
        let index = Int64(year) * 12 + Int64(month - 1) + Int64(count)
        return CivilMonth(unchecked: Int(floorDiv(index, 12)), Int(floorMod(index, 12)) + 1)
    }

    /// Whole months from `self` to `other` (negative if `other` is earlier).
    public func months(until other: CivilMonth) -> Int {
        (other.year * 12 + other.month) - (year * 12 + month)
    }

    public static func < (a: CivilMonth, b: CivilMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

extension CivilMonth: CustomStringConvertible {
    /// `YYYY-MM`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))" }
}

/// A wall-clock time of day, to the second: 00:00:00 ... 23:59:59.
public struct TimeOfDay: Hashable, Comparable, Sendable, Codable {
    /// Seconds since midnight, 0 ..< 86400.
    public let secondsSinceMidnight: Int64

    public init?(hour: Int, minute: Int = 0, second: Int = 0) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        self.secondsSinceMidnight = Int64(hour * 3600 + minute * 60 + second)
    }

    init(secondsSinceMidnight: Int64) {
        precondition((0..<86_400).contains(secondsSinceMidnight))
        self.secondsSinceMidnight = secondsSinceMidnight
    }

    public static let midnight = TimeOfDay(secondsSinceMidnight: 0)

    public var hour: Int { Int(secondsSinceMidnight / 3600) }
    public var minute: Int { Int(secondsSinceMidnight / 60 % 60) }
    public var second: Int { Int(secondsSinceMidnight % 60) }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.secondsSinceMidnight < b.secondsSinceMidnight }
}

extension TimeOfDay: CustomStringConvertible {
    /// `HH:MM:SS`.
    public var description: String { "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))" }
}

/// A date and a wall-clock time in some time zone.
public struct LocalDateTime: Hashable, Comparable, Sendable, Codable {
    public let date: CivilDate
    public let time: TimeOfDay

    public init(date: CivilDate, time: TimeOfDay) {
        self.date = date
        self.time = time
    }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool { (a.date, a.time) < (b.date, b.time) }
}

/// How a region's wall clock relates to UTC, computed by rule rather than read from a tz database.
public enum CivilTimeZone: Hashable, Sendable, Codable {
    /// Always `offset` ahead of UTC.
    case fixed(offset: Minutes)
    /// The EU rule (Directive 2000/84/EC): `standardOffset` ahead of UTC, one hour more from
    /// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC. Applied to
    /// every year, including those before the rule existed.
    case europeanUnion(standardOffset: Minutes)

    public static let utc = CivilTimeZone.fixed(offset: 0)
    /// UTC+1, UTC+2 in summer.
    public static let europeRome = CivilTimeZone.europeanUnion(standardOffset: 60)

    /// How far the wall clock is ahead of UTC at `instant`.
    public func offset(at instant: UnixTime) -> Minutes {
        switch self {
        case .fixed(let offset):
            return offset
        case .europeanUnion(let standard):
            let year = CivilDate(daysSinceEpoch: floorDiv(instant.rawValue, 86_400)).year
            return CivilTimeZone.summerTime(year: year).contains(instant) ? standard + 60 : standard
        }
    }

    /// The EU summer-time period of a year: [last Sunday of March, last Sunday of October), both at 01:00 UTC.
    public static func summerTime(year: Int) -> Range<UnixTime> {
        let oneAM = TimeOfDay(secondsSinceMidnight: 3600)
        let start = UnixTime.utc(CivilDate.last(.sunday, of: 3, year: year), oneAM)
        let end = UnixTime.utc(CivilDate.last(.sunday, of: 10, year: year), oneAM)
        return start..<end
    }

    /// The wall-clock date and time at `instant`.
    public func local(_ instant: UnixTime) -> LocalDateTime {
        let seconds = instant.rawValue + offset(at: instant).rawValue * 60
        return LocalDateTime(
            date: CivilDate(daysSinceEpoch: floorDiv(seconds, 86_400)),
            time: TimeOfDay(secondsSinceMidnight: floorMod(seconds, 86_400)))
    }

    /// The instant the wall clock shows `time` on `date`.
    ///
    /// A time that happens twice (the autumn hour repeated) resolves to the first, summer-time
    /// instant; a time that never happens (the spring hour skipped) resolves to the instant one
    /// hour later on the wall clock, as if the clock had not been moved yet. Working hours
    /// (09:00, 19:00) and midnights are never in either hour.
    public func instant(_ date: CivilDate, _ time: TimeOfDay) -> UnixTime {
        let wallSeconds = date.daysSinceEpoch * 86_400 + time.secondsSinceMidnight
        switch self {
        case .fixed(let offset):
            return UnixTime(wallSeconds - offset.rawValue * 60)
        case .europeanUnion(let standard):
            let summer = standard + 60
            let asSummer = UnixTime(wallSeconds - summer.rawValue * 60)
            if offset(at: asSummer) == summer { return asSummer }
            return UnixTime(wallSeconds - standard.rawValue * 60)
        }
    }

    public func instant(_ local: LocalDateTime) -> UnixTime { instant(local.date, local.time) }
}

/// Floor division: rounds towards negative infinity, so instants before 1970 land on the right day.
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    return r != 0 && (r < 0) != (b < 0) ? q - 1 : q
}

func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

/// Zero-padded decimal of a non-negative number.
func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// The value of a string of ASCII digits, or nil (no sign, no spaces, at most 18 digits).
func decimal(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return Int(text)
}
