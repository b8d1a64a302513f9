import Ledger
import Testing

@Suite("Ticket first-response deadlines")
struct TicketDeadlineTests {
    private func deadline(_ plan: Plan, openedAt: UnixTime) throws -> UnixTime {
        try Ticket.open(id: "T", client: "acme", subject: "help", plan: plan, at: openedAt, policy: .standard).deadline
    }

    @Test("monthly: 4 working hours within a working day")
    func sameDay() throws {
        #expect(try deadline(.monthly, openedAt: rome(2026, 1, 20, 10)) == rome(2026, 1, 20, 14))
        #expect(try deadline(.monthly, openedAt: rome(2026, 1, 20, 10, 17)) == rome(2026, 1, 20, 14, 17))
    }

    @Test("a deadline falling exactly at closing time stays on that day")
    func atClosing() throws {
        #expect(try deadline(.monthly, openedAt: rome(2026, 1, 20, 15)) == rome(2026, 1, 20, 19))
    }

    @Test("opened outside working hours, the count starts at the next working period", arguments: [
        (rome(2026, 1, 20, 7, 30), rome(2026, 1, 20, 13)),  // before opening
        (rome(2026, 1, 20, 19), rome(2026, 1, 21, 13)),  // at closing
        (rome(2026, 1, 20, 22), rome(2026, 1, 21, 13)),  // evening
        (rome(2026, 1, 17, 10), rome(2026, 1, 19, 13)),  // Saturday
        (rome(2026, 1, 18, 23, 59), rome(2026, 1, 19, 13)),  // Sunday night
    ])
    func outsideHours(opened: UnixTime, due: UnixTime) throws {
        #expect(try deadline(.monthly, openedAt: opened) == due)
    }

    @Test("opened Friday 18:00 Rome: one hour on Friday, three on Monday")
    func fridayEvening() throws {
        #expect(day(2026, 1, 16).weekday == .friday)
        #expect(try deadline(.monthly, openedAt: rome(2026, 1, 16, 18)) == rome(2026, 1, 19, 12))
    }

    @Test("across a weekend: Friday 16:00 → Monday 10:00")
    func weekend() throws {
        #expect(try deadline(.monthly, openedAt: rome(2026, 1, 16, 16)) == rome(2026, 1, 19, 10))
    }

    @Test("across holidays", arguments: [
        (rome(2026, 4, 30, 17), rome(2026, 5, 4, 11)),  // 1 May (Friday) and the weekend
        (rome(2026, 12, 24, 18), rome(2026, 12, 28, 12)),  // 25, 26 Dec and Sunday
        (rome(2026, 6, 1, 17), rome(2026, 6, 3, 11)),  // 2 June (Tuesday)
        (rome(2026, 1, 5, 18), rome(2026, 1, 7, 12)),  // Epiphany (Tuesday)
        (rome(2026, 12, 7, 18), rome(2026, 12, 9, 12)),  // 8 Dec (Tuesday)
        (rome(2026, 4, 24, 17), rome(2026, 4, 27, 11)),  // 25 April is a Saturday: nothing to skip
    ])
    func holidays(opened: UnixTime, due: UnixTime) throws {
        #expect(try deadline(.monthly, openedAt: opened) == due)
    }

    @Test("across Easter Monday 2026 (6 Apr): Good Friday 17:00 → Tuesday 11:00")
    func easterMonday() throws {
        #expect(try deadline(.monthly, openedAt: rome(2026, 4, 3, 17)) == rome(2026, 4, 7, 11))
        #expect(rome(2026, 4, 7, 11) == utc(2026, 4, 7, 9))
        // Opened on Easter Monday itself.
        #expect(try deadline(.monthly, openedAt: rome(2026, 4, 6, 10)) == rome(2026, 4, 7, 13))
    }

    @Test("across the spring DST change (29 Mar 2026): Friday 17:00 CET → Monday 11:00 CEST")
    func springDST() throws {
        let opened = rome(2026, 3, 27, 17)
        #expect(opened == utc(2026, 3, 27, 16))
        let due = try deadline(.monthly, openedAt: opened)
        #expect(due == utc(2026, 3, 30, 9))
        #expect(due == rome(2026, 3, 30, 11))
        // One wall-clock hour shorter than the same span in a week without a change.
        #expect(due.rawValue - opened.rawValue == (2 * 24 + 17) * 3600)
    }

    @Test("across the autumn DST change (25 Oct 2026): Friday 17:00 CEST → Monday 11:00 CET")
    func autumnDST() throws {
        let opened = rome(2026, 10, 23, 17)
        #expect(opened == utc(2026, 10, 23, 15))
        let due = try deadline(.monthly, openedAt: opened)
        #expect(due == utc(2026, 10, 26, 10))
        #expect(due == rome(2026, 10, 26, 11))
        #expect(due.rawValue - opened.rawValue == (2 * 24 + 19) * 3600)
    }

    @Test("one-time: one hour, 24/7, in real time", arguments: [
        (rome(2026, 1, 17, 3), rome(2026, 1, 17, 4)),  // Saturday night
        (rome(2026, 1, 16, 18), rome(2026, 1, 16, 19)),  // Friday 18:00
        (rome(2026, 12, 25, 10), rome(2026, 12, 25, 11)),  // Christmas
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),  // 01:30 CET → 03:30 CEST
    ])
    func oneTime(opened: UnixTime, due: UnixTime) throws {
        #expect(try deadline(.oneTime, openedAt: opened) == due)
    }

    @Test("no plan: the monthly calendar and target, at low priority")
    func noPlan() throws {
        for opened in [rome(2026, 1, 16, 18), rome(2026, 4, 3, 17), rome(2026, 3, 27, 17)] {
            #expect(try deadline(.none, openedAt: opened) == deadline(.monthly, openedAt: opened))
        }
        let ticket = try Ticket.open(id: "T", client: "acme", subject: "help", plan: .none, at: 0, policy: .standard)
        #expect(ticket.priority == .low)
        #expect(try Ticket.open(id: "T", client: "acme", subject: "help", plan: .monthly, at: 0, policy: .standard).priority == .standard)
        #expect(try Ticket.open(id: "T", client: "acme", subject: "help", plan: .oneTime, at: 0, policy: .standard).priority == .top)
    }

    @Test("targets come from the policy")
    func configuredTargets() throws {
        var policy = SupportPolicy.standard
        policy.monthly = SupportTerms(calendar: .workingHours(.italianOffice), firstResponse: 600, priority: .standard)
        let ticket = try Ticket.open(id: "T", client: "acme", subject: "s", plan: .monthly, at: rome(2026, 1, 20, 9), policy: policy)
        #expect(ticket.deadline == rome(2026, 1, 20, 19))
        let zero = try SupportCalendar.workingHours(.italianOffice).deadline(from: rome(2026, 1, 17, 10), after: 0)
        #expect(zero == rome(2026, 1, 19, 9))
    }

    @Test("Italian holidays of 2026 are not working days; Good Friday is")
    func holidayCalendar() {
        let office = WorkingHours.italianOffice
        for (m, d) in [(1, 1), (1, 6), (4, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)] {
            #expect(!office.isWorkingDay(day(2026, m, d)), "2026-\(m)-\(d)")
        }
        #expect(office.isWorkingDay(day(2026, 4, 3)))
        #expect(office.isWorkingDay(day(2026, 4, 7)))
        #expect(!office.isWorkingDay(day(2027, 3, 29)))  // Easter Monday 2027
        #expect(office.isWorkingDay(day(2027, 4, 6)))
    }

    @Test("a calendar without working time is refused")
    func invalidCalendar() {
        let closed = WorkingHours(zone: .europeRome, days: [], opens: clock(9), closes: clock(19), holidays: [])
        #expect(throws: LedgerError.invalidCalendar("no working days")) {
            try SupportCalendar.workingHours(closed).deadline(from: 0, after: 60)
        }
        let backwards = WorkingHours(zone: .europeRome, days: Weekday.workingDays, opens: clock(19), closes: clock(9), holidays: [])
        #expect(throws: LedgerError.invalidCalendar("opening must be before closing")) {
            try SupportCalendar.workingHours(backwards).deadline(from: 0, after: 60)
        }
        let allHolidays = WorkingHours(
            zone: .utc, days: [.monday], opens: clock(9), closes: clock(10),
            holidays: (1...31).flatMap { d in (1...12).map { Holiday.fixed(month: $0, day: d) } })
        #expect(throws: LedgerError.self) { try SupportCalendar.workingHours(allHolidays).deadline(from: 0, after: 60) }
        #expect(throws: LedgerError.negativeMinutes(-1)) { try SupportCalendar.always.deadline(from: 0, after: -1) }
    }

    @Test("a ticket is overdue while unanswered after its deadline")
    func overdue() throws {
        var ticket = try Ticket.open(id: "T", client: "acme", subject: "s", plan: .oneTime, at: rome(2026, 1, 20, 10), policy: .standard)
        #expect(!ticket.isOverdue(at: rome(2026, 1, 20, 11)))
        #expect(ticket.isOverdue(at: rome(2026, 1, 20, 11, 1)))
        ticket.respond(at: rome(2026, 1, 20, 12))
        ticket.respond(at: rome(2026, 1, 20, 13))
        #expect(ticket.firstResponseAt == rome(2026, 1, 20, 12))
        #expect(!ticket.isOverdue(at: rome(2026, 1, 21, 0)))
    }
}

@Suite("Staff ticket queue")
struct TicketQueueTests {
    @Test("sorted by priority, then deadline")
    func order() throws {
        func open(_ id: String, _ plan: Plan, _ at: UnixTime) throws -> Ticket {
            try Ticket.open(id: id, client: "c", subject: id, plan: plan, at: at, policy: .standard)
        }
        let tickets = [
            try open("none-early", .none, rome(2026, 1, 20, 9)),
            try open("monthly-late", .monthly, rome(2026, 1, 20, 15)),
            try open("one-time-late", .oneTime, rome(2026, 1, 20, 16)),
            try open("monthly-early", .monthly, rome(2026, 1, 20, 10)),
            try open("one-time-early", .oneTime, rome(2026, 1, 20, 12)),
        ]
        #expect(tickets.staffQueue().map(\.id) == ["one-time-early", "one-time-late", "monthly-early", "monthly-late", "none-early"])
    }

    @Test("equal priority and deadline fall back to opening time, then id")
    func ties() {
        let a = Ticket(id: "b", client: "c", subject: "s", plan: .monthly, openedAt: 1, priority: .standard, deadline: 100)
        let b = Ticket(id: "a", client: "c", subject: "s", plan: .monthly, openedAt: 2, priority: .standard, deadline: 100)
        let c = Ticket(id: "a", client: "c", subject: "s", plan: .monthly, openedAt: 1, priority: .standard, deadline: 100)
        #expect([b, a, c].staffQueue() == [c, a, b])
    }
}
