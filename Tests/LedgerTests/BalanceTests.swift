import Ledger
import Testing

/// Builds a client's ledger the way the catalog will: sequence numbers 1, 2, 3 …
struct LedgerBuilder {
    var entries: [LedgerEntry] = []
    var client = "acme"

    var next: Int64 { Int64(entries.count + 1) }
    var time: UnixTime { rome(2026, 2, 1, 9).adding(Minutes(Int64(entries.count))) }

    func balance(_ project: String = "website") -> ProjectBalance { ProjectBalance(project: project, entries: entries) }

    @discardableResult
    mutating func append(_ kind: LedgerEntryKind, project: String = "website") -> LedgerEntry {
        let entry = LedgerEntry(sequence: next, client: client, project: project, at: time, kind: kind)
        entries.append(entry)
        return entry
    }

    mutating func credit(_ minutes: Minutes, project: String = "website") {
        append(.credit(minutes: minutes, invoice: number("2026/\(pad4(entries.count + 1))")), project: project)
    }

    @discardableResult
    mutating func log(_ minutes: Minutes, overage: Bool = false, project: String = "website") throws -> HourDebit {
        let debit = try balance(project).debit(
            HourLog(minutes: minutes, service: "Copywriting", phase: "Design", note: "homepage", staff: "giulia"),
            allowOverage: overage, alertThresholds: [80, 100])
        append(debit.kind, project: project)
        return debit
    }

    mutating func reverse(_ sequence: Int64, reason: String = "logged twice") throws {
        entries.append(try LedgerEntry.reversal(of: sequence, in: entries, reason: reason, sequence: next, at: time))
    }
}

private func pad4(_ value: Int) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }

@Suite("Hour entries and the project balance")
struct BalanceTests {
    @Test("credits add, debits subtract, vouchers move no minutes")
    func fold() throws {
        var ledger = LedgerBuilder()
        ledger.credit(1200)
        try ledger.log(90)
        ledger.append(.voucherIssued(code: "V", amount: 500, dispute: "D-1"))
        ledger.append(.expiry(minutes: 100, contractMonth: 1))
        ledger.credit(60, project: "shop")
        let balance = ledger.balance()
        #expect(balance.credited == 1200)
        #expect(balance.used == 90)
        #expect(balance.expired == 100)
        #expect(balance.remaining == 1010)
        #expect(ledger.balance("shop").remaining == 60)
    }

    @Test("a debit within the balance is not overage; the exact balance is fine too")
    func withinBalance() throws {
        var ledger = LedgerBuilder()
        ledger.credit(120)
        let first = try ledger.log(60)
        #expect(!first.entry.isOverage)
        #expect(first.entry.overage == .zero)
        #expect(first.balance.remaining == 60)
        let second = try ledger.log(60)
        #expect(!second.entry.isOverage)
        #expect(ledger.balance().remaining == .zero)
    }

    @Test("a debit beyond the balance is refused with the balance")
    func insufficient() throws {
        var ledger = LedgerBuilder()
        ledger.credit(100)
        #expect(throws: LedgerError.insufficientBalance(remaining: 100, requested: 101)) { try ledger.log(101) }
        #expect(ledger.entries.count == 1)
        var empty = LedgerBuilder()
        #expect(throws: LedgerError.insufficientBalance(remaining: 0, requested: 1)) { try empty.log(1) }
    }

    @Test("with overage allowed, the excess is flagged as overage")
    func overage() throws {
        var ledger = LedgerBuilder()
        ledger.credit(100)
        let debit = try ledger.log(130, overage: true)
        #expect(debit.entry.isOverage)
        #expect(debit.entry.overage == 30)
        #expect(ledger.balance().remaining == -30)
        // Already below zero: all of the next debit is overage.
        #expect(try ledger.log(15, overage: true).entry.overage == 15)
        #expect(ledger.balance().remaining == -45)
    }

    @Test("the hour entry keeps service, phase, note and staff")
    func entryFields() throws {
        var ledger = LedgerBuilder()
        ledger.credit(100)
        let debit = try ledger.log(45)
        #expect(debit.entry == HourEntry(minutes: 45, service: "Copywriting", phase: "Design", note: "homepage", staff: "giulia"))
    }

    @Test("zero, negative and nameless work is refused")
    func invalidLogs() {
        let balance = ProjectBalance(credited: 100)
        func log(_ minutes: Minutes, service: String = "SEO") throws(LedgerError) -> HourDebit {
            try balance.debit(HourLog(minutes: minutes, service: service, staff: "giulia"), allowOverage: true, alertThresholds: [])
        }
        #expect(throws: LedgerError.zeroMinutes) { try log(0) }
        #expect(throws: LedgerError.negativeMinutes(-5)) { try log(-5) }
        #expect(throws: LedgerError.invalidService("")) { try log(5, service: "") }
        #expect(throws: LedgerError.overflow) {
            try ProjectBalance(used: Minutes(.max)).debit(HourLog(minutes: 1, service: "SEO", staff: "g"), allowOverage: true, alertThresholds: [])
        }
    }
}

@Suite("Reversals")
struct ReversalTests {
    @Test("reversing a debit gives the minutes back; the original stays")
    func reverseDebit() throws {
        var ledger = LedgerBuilder()
        ledger.credit(600)
        try ledger.log(90)
        try ledger.reverse(2)
        #expect(ledger.entries.count == 3)
        #expect(ledger.entries[2].kind == .reversal(Reversal(entry: 2, reversed: .debit, minutes: 90, reason: "logged twice")))
        #expect(ledger.entries[2].project == "website")
        #expect(ledger.balance().used == .zero)
        #expect(ledger.balance().remaining == 600)
    }

    @Test("reversing a credit takes the minutes away")
    func reverseCredit() throws {
        var ledger = LedgerBuilder()
        ledger.credit(600)
        ledger.credit(60)
        try ledger.reverse(2, reason: "credited to the wrong project")
        #expect(ledger.balance().credited == 600)
    }

    @Test("reversing an expiry restores the expired minutes")
    func reverseExpiry() throws {
        var ledger = LedgerBuilder()
        ledger.credit(600)
        ledger.append(.expiry(minutes: 600, contractMonth: 1))
        try ledger.reverse(2, reason: "contract has carry-over")
        #expect(ledger.balance().remaining == 600)
    }

    @Test("the reversal goes to the original's project")
    func otherProject() throws {
        var ledger = LedgerBuilder()
        ledger.credit(600, project: "shop")
        try ledger.reverse(1)
        #expect(ledger.entries[1].project == "shop")
        #expect(ledger.balance("shop").credited == .zero)
    }

    @Test("an entry is reversed at most once; reversals and vouchers are not reversible")
    func refusals() throws {
        var ledger = LedgerBuilder()
        ledger.credit(600)
        try ledger.log(30)
        try ledger.reverse(2)
        ledger.append(.voucherIssued(code: "V", amount: 100, dispute: "D"))
        #expect(throws: LedgerError.alreadyReversed(2)) { try ledger.reverse(2) }
        #expect(throws: LedgerError.notReversible(3)) { try ledger.reverse(3) }
        #expect(throws: LedgerError.notReversible(4)) { try ledger.reverse(4) }
        #expect(throws: LedgerError.entryNotFound(99)) { try ledger.reverse(99) }
        #expect(throws: LedgerError.missingReason) { try ledger.reverse(1, reason: " ") }
        #expect(ledger.entries.count == 4)
    }
}

@Suite("Budget alerts")
struct BudgetAlertTests {
    @Test("80% and 100% are each crossed once as usage rises")
    func crossings() throws {
        var ledger = LedgerBuilder()
        ledger.credit(1000)
        #expect(try ledger.log(700).alerts == [])
        #expect(try ledger.log(100).alerts == [80])  // exactly 80%
        #expect(try ledger.log(150).alerts == [])
        #expect(try ledger.log(50).alerts == [100])  // exactly 100%
        #expect(try ledger.log(10, overage: true).alerts == [])
    }

    @Test("one debit can cross both thresholds")
    func both() throws {
        var ledger = LedgerBuilder()
        ledger.credit(1000)
        #expect(try ledger.log(1200, overage: true).alerts == [80, 100])
    }

    @Test("thresholds are exact: 80% of 1001 minutes is crossed at 801, not 800")
    func exact() {
        let before = ProjectBalance(credited: 1001, used: 700)
        #expect(BudgetAlert.crossed(from: before, to: ProjectBalance(credited: 1001, used: 800), thresholds: [80]) == [])
        #expect(BudgetAlert.crossed(from: before, to: ProjectBalance(credited: 1001, used: 801), thresholds: [80]) == [80])
    }

    @Test("thresholds are configurable, reported ascending and once")
    func configurable() {
        let crossed = BudgetAlert.crossed(
            from: ProjectBalance(credited: 100, used: 0), to: ProjectBalance(credited: 100, used: 60), thresholds: [50, 25, 75, 25])
        #expect(crossed == [25, 50])
    }

    @Test("nothing credited, nothing budgeted: no alerts")
    func nothingCredited() throws {
        var ledger = LedgerBuilder()
        #expect(try ledger.log(100, overage: true).alerts == [])
    }

    @Test("after a reversal brings usage back under a threshold, reaching it again is a new crossing")
    func afterReversal() throws {
        var ledger = LedgerBuilder()
        ledger.credit(100)
        #expect(try ledger.log(85).alerts == [80])
        try ledger.reverse(2)
        #expect(try ledger.log(80).alerts == [80])
    }

    @Test("a new month's credit lowers the share: the thresholds apply to the new total")
    func newCredit() throws {
        var ledger = LedgerBuilder()
        ledger.credit(100)
        #expect(try ledger.log(90).alerts == [80])
        ledger.credit(100)
        #expect(try ledger.log(60).alerts == [])  // 150 of 200 = 75%
        #expect(try ledger.log(10).alerts == [80])  // 160 of 200
    }
}
