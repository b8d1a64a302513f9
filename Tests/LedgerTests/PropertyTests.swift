import Ledger
import PropertyBased
import Testing

@Suite("Properties")
struct PropertyTests {
    // MARK: Ledger folding

    @Test("for any credits, debits (overage allowed) and reversals: remaining = credited − debited + reversed")
    func balanceFold() async {
        let operation = zip(Gen.int(in: 0...2), Gen.int64(in: 1...10_000), Gen.int(in: 0...10_000))
        await propertyCheck(input: operation.array(of: 0...60)) { operations in
            var ledger = LedgerBuilder()
            var credited: Int64 = 0, debited: Int64 = 0, reversed: Int64 = 0
            var reversible: [(sequence: Int64, signedMinutes: Int64)] = []  // +credit, −debit
            for (kind, minutes, pick) in operations {
                switch kind {
                case 0:
                    ledger.credit(Minutes(minutes))
                    credited += minutes
                    reversible.append((ledger.next - 1, minutes))
                case 1:
                    try ledger.log(Minutes(minutes), overage: true)
                    debited += minutes
                    reversible.append((ledger.next - 1, -minutes))
                default:
                    guard !reversible.isEmpty else { continue }
                    let target = reversible.remove(at: pick % reversible.count)
                    try ledger.reverse(target.sequence)
                    reversed -= target.signedMinutes
                }
            }
            let balance = ledger.balance()
            #expect(balance.remaining.rawValue == credited - debited + reversed)
            #expect(balance.remaining == balance.credited - balance.used - balance.expired)
            // Folding entry by entry gives the same balance as folding them all.
            var incremental = ProjectBalance()
            for entry in ledger.entries { incremental.apply(entry.kind) }
            #expect(incremental == balance)
            // Whatever happened, the chain of those entries verifies.
            var chain: [ChainedEntry] = []
            for entry in ledger.entries { chain.append(HashChain.append(entry, after: chain.last, using: SHA256.hash)) }
            #expect(HashChain.verify(chain, client: "acme", head: chain.last?.hash, using: SHA256.hash) == nil)
        }
    }

    // MARK: Invoice numbers

    @Test("for any number of sequential allocations in a year, numbers are 1…n without gaps")
    func invoiceNumbers() async {
        await propertyCheck(input: Gen.int(in: 1...3000), Gen.int(in: 2000...2100), Gen.int(in: 0...20_000)) { count, year, lastYear in
            // The previous year ended at `lastYear` invoices (0: no invoice ever).
            var last = lastYear == 0 ? nil : InvoiceNumber(year: year - 1, sequence: lastYear)
            var sequences: [Int] = []
            for _ in 0..<count {
                let next = try InvoiceNumber.next(after: last, year: year)
                #expect(next.year == year)
                #expect(InvoiceNumber(next.description) == next)
                if let last { #expect(last < next) }
                sequences.append(next.sequence)
                last = next
            }
            #expect(sequences == Array(1...count))
        }
    }

    // MARK: Pricing

    /// The rule computed independently, exactly, with 128-bit integers:
    /// net = ⌊(2p + 6000) / 12000⌋ for p = minutes × rate × (100 − discount),
    /// vat = ⌊(2 · net · v + 100) / 200⌋.
    private func reference(_ minutes: Int64, _ rate: Int64, _ discount: Int64, _ vat: Int64) -> (net: Int128, vat: Int128)? {
        let product = Int128(minutes) * Int128(rate)  // < 2¹²⁶, fits
        if discount == 100 || product == 0 { return (0, 0) }
        guard product <= Int128(Int64.max) else { return nil }
        let p = product * Int128(100 - discount)  // < 2⁷⁰, fits
        guard p <= Int128(Int64.max) else { return nil }
        let net = (2 * p + 6000) / 12000
        return (net, (2 * net * Int128(vat) + 100) / 200)
    }

    private func check(_ minutes: Int64, _ rate: Int64, _ discount: Int64, _ vat: Int64) {
        let result = Result { () throws(LedgerError) -> InvoiceLine in
            try InvoiceLine.price(
                minutes: Minutes(minutes), rateCents: Cents(rate),
                discountPercent: Percent(rawValue: discount)!, vatPercent: Percent(rawValue: vat)!)
        }
        guard let expected = reference(minutes, rate, discount, vat) else {
            #expect(result == .failure(.overflow), "\(minutes) min × \(rate) c/h × \(100 - discount)% must overflow")
            return
        }
        guard case .success(let line) = result else {
            Issue.record("\(minutes) min × \(rate) c/h −\(discount)% failed: \(result)")
            return
        }
        #expect(Int128(line.net.rawValue) == expected.net)
        #expect(Int128(line.vat.rawValue) == expected.vat)
        #expect(line.total.rawValue == line.net.rawValue + line.vat.rawValue)
        // The same, stated as a bound: net is within half a cent of the exact value, halves up.
        let exactTimes12000 = 2 * Int128(minutes) * Int128(rate) * Int128(100 - discount)
        let error = Int128(line.net.rawValue) * 12000 - exactTimes12000
        #expect(error > -6000 && error <= 6000)
    }

    @Test("for realistic minutes, rates, discounts and VAT, net and VAT match an exact computation")
    func pricingRealistic() async {
        await propertyCheck(
            count: 500,
            input: Gen.int64(in: 0...10_000_000), Gen.int64(in: 0...1_000_000), Gen.int64(in: 0...100), Gen.int64(in: 0...100)
        ) { minutes, rate, discount, vat in
            check(minutes, rate, discount, vat)
        }
    }

    @Test("for any magnitudes, pricing is exact or reports overflow, never wraps")
    func pricingAnyMagnitude() async {
        let magnitude = zip(Gen.int(in: 0...63), Gen.int64(in: 0...Int64.max)).map { bits, raw in
            bits == 63 ? raw : raw & ((1 << Int64(bits)) - 1)
        }
        await propertyCheck(count: 500, input: magnitude, magnitude, Gen.int64(in: 0...100), Gen.int64(in: 0...100)) {
            minutes, rate, discount, vat in
            check(minutes, rate, discount, vat)
        }
    }

    @Test("the one-time bonus is 10% of the paid minutes, rounded down, for any minutes")
    func bonus() async {
        await propertyCheck(input: Gen.int64(in: 0...100_000_000)) { minutes in
            let bonus = try Plan.oneTime.bonusMinutes(for: Minutes(minutes), bonusPercent: 10)
            #expect(bonus.rawValue * 10 <= minutes && minutes < (bonus.rawValue + 1) * 10)
        }
    }

    // MARK: Civil time

    @Test("day numbers and civil dates convert both ways, and consecutive days are consecutive dates")
    func civilDates() async {
        await propertyCheck(count: 500, input: Gen.int64(in: -700_000...2_900_000)) { days in
            let date = CivilDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
            #expect(CivilDate(year: date.year, month: date.month, day: date.day) == date)
            let next = CivilDate(daysSinceEpoch: days + 1)
            let sameMonth = next.year == date.year && next.month == date.month && next.day == date.day + 1
            let newMonth = next.day == 1 && date.day == CivilDate.daysIn(month: date.month, year: date.year)
            #expect(sameMonth || newMonth)
            #expect(next.weekday.rawValue == date.weekday.rawValue % 7 + 1)
        }
    }

    @Test("Rome wall-clock times map back to their instant, except the repeated autumn hour")
    func romeRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.int64(in: 946_684_800...4_102_444_800)) { seconds in
            let rome = CivilTimeZone.europeRome
            let instant = UnixTime(seconds)
            let back = rome.instant(rome.local(instant))
            if back != instant {
                // The second 02:xx of the autumn change resolves to the first.
                #expect(back == instant.adding(seconds: -3600))
                #expect(rome.offset(at: instant) == 60 && rome.offset(at: back) == 120)
            }
        }
    }

    // MARK: Ticket deadlines

    private static let easterMondays: Set<String> = [
        "2020-04-13", "2021-04-05", "2022-04-18", "2023-04-10", "2024-04-01", "2025-04-21",
        "2026-04-06", "2027-03-29", "2028-04-17", "2029-04-02", "2030-04-22", "2031-04-14",
    ]

    /// Whether the minute starting at `instant` is support time, decided independently of the
    /// calendar code: Rome wall clock, Mon–Fri, 09:00–19:00, holidays from a table.
    private static func isWorkingMinute(_ instant: UnixTime) -> Bool {
        let local = CivilTimeZone.europeRome.local(instant)
        let date = local.date
        let fixed = [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)]
        guard date.weekday.rawValue <= 5, !fixed.contains(where: { $0 == (date.month, date.day) }),
              !easterMondays.contains(date.description)
        else { return false }
        return (9..<19).contains(local.time.hour)
    }

    @Test("monthly deadlines equal a minute-by-minute count of support time (2020–2030, DST and holidays)")
    func deadlinesByCounting() async {
        let start = utc(2020, 1, 1).rawValue / 60
        let end = utc(2030, 12, 31).rawValue / 60
        await propertyCheck(count: 200, input: Gen.int64(in: start...end), Gen.int64(in: 1...600)) { minute, target in
            let opened = UnixTime(minute * 60)
            var instant = opened
            var counted: Int64 = 0
            while counted < target {
                if Self.isWorkingMinute(instant) { counted += 1 }
                instant = instant.adding(seconds: 60)
            }
            let deadline = try SupportCalendar.workingHours(.italianOffice).deadline(from: opened, after: Minutes(target))
            #expect(deadline == instant, "opened \(opened), \(target) min")
        }
    }

    @Test("24/7 deadlines are the opening instant plus the target")
    func alwaysDeadlines() async {
        await propertyCheck(input: Gen.int64(in: 0...4_102_444_800), Gen.int64(in: 0...100_000)) { seconds, target in
            let deadline = try SupportCalendar.always.deadline(from: UnixTime(seconds), after: Minutes(target))
            #expect(deadline.rawValue == seconds + target * 60)
        }
    }
}
