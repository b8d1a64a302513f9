/// A public holiday rule: a fixed date every year, or a day relative to Easter Sunday.
public enum Holiday: Hashable, Sendable, Codable {
    case fixed(month: Int, day: Int)
    /// `days` after Easter Sunday (Gregorian computus); Easter Monday is 1.
    case afterEaster(days: Int)

    public static let easterMonday = Holiday.afterEaster(days: 1)

    /// Italian national holidays: 1 Jan, 6 Jan, Easter Monday, 25 Apr, 1 May, 2 Jun, 15 Aug,
    /// 1 Nov, 8 Dec, 25 Dec, 26 Dec.
    public static let italian: [Holiday] = [
        .fixed(month: 1, day: 1), .fixed(month: 1, day: 6), .easterMonday, .fixed(month: 4, day: 25),
        .fixed(month: 5, day: 1), .fixed(month: 6, day: 2), .fixed(month: 8, day: 15), .fixed(month: 11, day: 1),
        .fixed(month: 12, day: 8), .fixed(month: 12, day: 25), .fixed(month: 12, day: 26),
    ]

    public func falls(on date: CivilDate) -> Bool {
        switch self {
        case .fixed(let month, let day):
            date.month == month && date.day == day
        case .afterEaster(let days):
            CivilDate.easterSunday(year: date.year).adding(days: Int64(days)) == date
        }
    }
}

/// Office hours: some weekdays, from `opens` to `closes` on the local wall clock, except
/// holidays.
public struct WorkingHours: Hashable, Sendable, Codable {
    public let zone: CivilTimeZone
    public let days: Set<Weekday>
    public let opens: TimeOfDay
    public let closes: TimeOfDay
    public let holidays: [Holiday]

    public init(zone: CivilTimeZone, days: Set<Weekday>, opens: TimeOfDay, closes: TimeOfDay, holidays: [Holiday]) {
        self.zone = zone
        self.days = days
        self.opens = opens
        self.closes = closes
        self.holidays = holidays
    }

    /// Mon–Fri 09:00–19:00 Europe/Rome, Italian holidays excluded.
    public static let italianOffice = WorkingHours(
        zone: .europeRome, days: Weekday.workingDays,
        opens: TimeOfDay(secondsSinceMidnight: 9 * 3600), closes: TimeOfDay(secondsSinceMidnight: 19 * 3600),
        holidays: Holiday.italian)

    public func isWorkingDay(_ date: CivilDate) -> Bool {
        days.contains(date.weekday) && !holidays.contains { $0.falls(on: date) }
    }
}

/// When support counts time towards a response deadline.
public enum SupportCalendar: Hashable, Sendable, Codable {
    /// 24/7.
    case always
    case workingHours(WorkingHours)

    /// The instant by which `target` minutes of support time have passed since `start`.
    ///
    /// On working hours, time outside them does not count: a ticket opened at night, on a
    /// weekend or on a holiday starts counting when the next working period opens, and a
    /// deadline falling exactly at closing time stays on that day. Each day's window is
    /// converted with that day's UTC offset, so deadlines are right across DST changes.
    public func deadline(from start: UnixTime, after target: Minutes) throws(LedgerError) -> UnixTime {
        guard target >= .zero else { throw .negativeMinutes(target) }
        let (seconds, overflow) = target.rawValue.multipliedReportingOverflow(by: 60)
        guard !overflow else { throw .overflow }
        switch self {
        case .always:
            let (end, overflow) = start.rawValue.addingReportingOverflow(seconds)
            guard !overflow else { throw .overflow }
            return UnixTime(end)
        case .workingHours(let hours):
            guard !hours.days.isEmpty else { throw .invalidCalendar("no working days") }
            guard hours.opens < hours.closes else { throw .invalidCalendar("opening must be before closing") }
            var remaining = seconds
            var date = hours.zone.local(start).date
            // Every week has a working day and holidays are a few dates a year, so twice a week
            // per working day needed (plus slack) is always enough; the bound only stops
            // calendars whose holidays cover every working day.
            let dailySeconds = hours.closes.secondsSinceMidnight - hours.opens.secondsSinceMidnight
            let workingDaysNeeded = remaining / dailySeconds + 1
            guard workingDaysNeeded <= 1_000_000 else { throw .overflow }
            let maximumDays = workingDaysNeeded * 14 + 800
            for _ in 0...maximumDays {
                if hours.isWorkingDay(date) {
                    let opens = hours.zone.instant(date, hours.opens)
                    let closes = hours.zone.instant(date, hours.closes)
                    let from = max(start, opens)
                    if from < closes {
                        let available = closes.rawValue - from.rawValue
                        if remaining <= available { return from.adding(seconds: remaining) }
                        remaining -= available
                    }
                }
                date = date.adding(days: 1)
            }
            throw .invalidCalendar("no working time found within \(maximumDays) days")
        }
    }
}
