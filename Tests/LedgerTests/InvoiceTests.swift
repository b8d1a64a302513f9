import Foundation
import Ledger
import Testing

@Suite("Payments")
struct PaymentTests {
    private func invoice(_ plan: Plan = .monthly) throws -> Invoice { try accepted(plan: plan).invoice }
    private func pay(_ cents: Cents, _ reference: String = "TRN-1") -> Payment {
        Payment(amount: cents, reference: reference, at: rome(2026, 1, 20, 10))
    }

    @Test("one exact payment completes the invoice and reports the minutes to credit")
    func exact() throws {
        var invoice = try invoice(.oneTime)
        #expect(try invoice.record(pay(80520)) == .nowPaid(credit: 1320))
        #expect(invoice.isPaid)
        #expect(invoice.outstanding == .zero)
        #expect(invoice.creditEntry == .credit(minutes: 1320, invoice: number("2026/0001")))
    }

    @Test("partial payments add up; only the completing one reports now paid")
    func partial() throws {
        var invoice = try invoice()
        #expect(try invoice.record(pay(50000, "A")) == .partiallyPaid(outstanding: 37840))
        #expect(!invoice.isPaid)
        #expect(try invoice.record(pay(37000, "B")) == .partiallyPaid(outstanding: 840))
        #expect(try invoice.record(pay(840, "C")) == .nowPaid(credit: 1200))
        #expect(invoice.paid == 87840)
        #expect(invoice.payments.map(\.reference) == ["A", "B", "C"])
    }

    @Test("an over-payment is refused with the outstanding amount and records nothing")
    func overpayment() throws {
        var invoice = try invoice()
        _ = try invoice.record(pay(80000))
        let before = invoice
        #expect(throws: LedgerError.overpayment(outstanding: 7840, offered: 7841)) { try invoice.record(pay(7841)) }
        #expect(invoice == before)
        #expect(throws: LedgerError.overpayment(outstanding: 87840, offered: 87841)) {
            var fresh = try self.invoice()
            return try fresh.record(pay(87841))
        }
    }

    @Test("a paid invoice refuses any further payment, so its minutes are credited once")
    func paidOnce() throws {
        var invoice = try invoice()
        var nowPaid = 0
        for amount: Cents in [87840, 1, 87840] {
            if case .nowPaid = try? invoice.record(pay(amount)) { nowPaid += 1 }
        }
        #expect(nowPaid == 1)
        #expect(throws: LedgerError.invoiceAlreadyPaid(number("2026/0001"))) { try invoice.record(pay(1)) }
        #expect(invoice.payments.count == 1)
    }

    @Test("payments must be positive and have a reference")
    func invalidPayments() throws {
        var invoice = try invoice()
        #expect(throws: LedgerError.nonPositivePayment(0)) { try invoice.record(pay(0)) }
        #expect(throws: LedgerError.nonPositivePayment(-100)) { try invoice.record(pay(-100)) }
        #expect(throws: LedgerError.missingReference) { try invoice.record(pay(100, "  ")) }
        #expect(invoice.payments.isEmpty)
    }

    @Test("an invoice cannot be restored with more paid than its total")
    func restore() throws {
        let issued = try invoice()
        let restored = try Invoice(
            number: issued.number, client: issued.client, project: issued.project, quote: issued.quote, plan: issued.plan,
            contractMonth: issued.contractMonth, issuedAt: issued.issuedAt, items: issued.items, credit: issued.credit,
            payments: [pay(87840)])
        #expect(restored.isPaid)
        #expect(throws: LedgerError.overpayment(outstanding: 87840, offered: 87841)) {
            try Invoice(
                number: issued.number, client: issued.client, project: issued.project, quote: issued.quote, plan: issued.plan,
                issuedAt: issued.issuedAt, items: issued.items, credit: issued.credit, payments: [pay(87840), pay(1)])
        }
    }

    @Test("invoices survive a JSON round trip; tampered amounts do not decode")
    func coding() throws {
        var invoice = try invoice()
        _ = try invoice.record(pay(100))
        let json = try JSONEncoder().encode(invoice)
        #expect(try JSONDecoder().decode(Invoice.self, from: json) == invoice)

        func tampered(_ edit: (inout [String: Any]) -> Void) throws -> Data {
            var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            edit(&object)
            return try JSONSerialization.data(withJSONObject: object)
        }
        let invoiceNet = try tampered { $0["net"] = 71000 }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Invoice.self, from: invoiceNet) }
        let lineNet = try tampered { object in
            var items = object["items"] as! [[String: Any]]
            var line = items[0]["line"] as! [String: Any]
            line["net"] = 71000
            items[0]["line"] = line
            object["items"] = items
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Invoice.self, from: lineNet) }
        let overpaid = try tampered { object in
            object["payments"] = [["amount": 90000, "reference": "X", "at": 0]]
        }
        #expect(throws: LedgerError.self) { try JSONDecoder().decode(Invoice.self, from: overpaid) }
    }
}

@Suite("Vouchers on invoices")
struct VoucherDeductionTests {
    private func voucher(_ cents: Cents, client: String = "acme") throws -> Voucher {
        try Voucher(code: "V-7F3K", client: client, amount: cents, dispute: "D-1", issuedAt: rome(2026, 1, 5, 10))
    }

    @Test("a voucher smaller than the invoice is used up; the rest is still owed")
    func partialDeduction() throws {
        var invoice = try accepted(plan: .monthly).invoice
        var voucher = try voucher(4392)
        let use = try invoice.apply(&voucher, at: rome(2026, 1, 16, 9))
        #expect(use.amount == 4392)
        #expect(use.outcome == .partiallyPaid(outstanding: 83448))
        #expect(use.entry == .voucherApplied(code: "V-7F3K", amount: 4392, invoice: number("2026/0001")))
        #expect(voucher.remaining == .zero)
        #expect(invoice.deducted == 4392)
        #expect(invoice.due == 83448)
        #expect(invoice.total == 87840)
        #expect(throws: LedgerError.voucherExhausted(code: "V-7F3K")) { try invoice.apply(&voucher, at: rome(2026, 1, 16, 9)) }
    }

    @Test("a voucher larger than the invoice pays it; the remainder stays on the voucher")
    func remainder() throws {
        var invoice = try accepted(plan: .monthly).invoice
        _ = try invoice.record(Payment(amount: 80000, reference: "A", at: rome(2026, 1, 16, 9)))
        var voucher = try voucher(10000)
        let use = try invoice.apply(&voucher, at: rome(2026, 1, 17, 9))
        #expect(use.amount == 7840)
        #expect(use.outcome == .nowPaid(credit: 1200))
        #expect(voucher.remaining == 2160)
        #expect(invoice.outstanding == .zero)
        #expect(invoice.due == 80000)
        #expect(throws: LedgerError.invoiceAlreadyPaid(number("2026/0001"))) { try invoice.apply(&voucher, at: rome(2026, 1, 17, 9)) }
        #expect(voucher.remaining == 2160)
    }

    @Test("a voucher only pays invoices of its own client")
    func otherClient() throws {
        var invoice = try accepted(plan: .monthly).invoice
        var voucher = try voucher(1000, client: "globex")
        #expect(throws: LedgerError.voucherOfAnotherClient(code: "V-7F3K")) { try invoice.apply(&voucher, at: 0) }
        #expect(voucher.remaining == 1000)
        #expect(invoice.deductions.isEmpty)
    }

    @Test("vouchers round-trip through JSON; a remainder above the value does not decode")
    func voucherCoding() throws {
        var voucher = try voucher(1000)
        var invoice = try accepted(plan: .monthly).invoice
        _ = try invoice.apply(&voucher, at: 0)
        let json = try JSONEncoder().encode(try self.voucher(1000))
        #expect(try JSONDecoder().decode(Voucher.self, from: json) == (try self.voucher(1000)))
        let forged = String(decoding: json, as: UTF8.self).replacingOccurrences(of: #""remaining":1000"#, with: #""remaining":5000"#)
        #expect(forged.contains("5000"))
        #expect(throws: LedgerError.invalidAmount(5000)) { try JSONDecoder().decode(Voucher.self, from: Data(forged.utf8)) }
        #expect(voucher.remaining == .zero)
    }

    @Test("a voucher needs a code and a value in range")
    func invalidVoucher() {
        #expect(throws: LedgerError.invalidVoucherCode) { try Voucher(code: "", client: "acme", amount: 100, dispute: "D", issuedAt: 0) }
        #expect(throws: LedgerError.invalidAmount(-1)) { try Voucher(code: "V", client: "acme", amount: -1, dispute: "D", issuedAt: 0) }
        #expect(throws: LedgerError.invalidAmount(101)) {
            try Voucher(code: "V", client: "acme", amount: 100, remaining: 101, dispute: "D", issuedAt: 0)
        }
    }
}

@Suite("Monthly contracts")
struct MonthlyContractTests {
    private func contract(carryOver: Bool = true) throws -> MonthlyContract {
        var policy = PricingPolicy.standard
        policy.carryOverUnusedMinutes = carryOver
        return try #require(accepted(plan: .monthly, policy: policy).contract)
    }

    @Test("twelve monthly invoices from the month of acceptance, months in Rome time")
    func schedule() throws {
        let contract = try contract()
        let schedule = contract.schedule
        #expect(schedule.map(\.index) == Array(1...12))
        #expect(schedule.map(\.month.description) == (1...12).map { "2026-" + ($0 < 10 ? "0" : "") + "\($0)" })
        #expect(schedule[0].starts == utc(2025, 12, 31, 23))  // midnight CET
        #expect(schedule[3].starts == utc(2026, 3, 31, 22))  // 1 April, midnight CEST
        #expect(schedule[2].ends == schedule[3].starts)
        #expect(schedule[11].ends == utc(2026, 12, 31, 23))
    }

    @Test("cancelling in months 1 and 2 is refused: the minimum is 3 months")
    func minimumTerm() throws {
        var contract = try contract()
        #expect(throws: LedgerError.minimumTermNotReached(minimumMonths: 3, currentMonth: 1)) { try contract.cancel(at: rome(2026, 1, 20, 9)) }
        #expect(throws: LedgerError.minimumTermNotReached(minimumMonths: 3, currentMonth: 2)) { try contract.cancel(at: rome(2026, 2, 28, 23, 59)) }
        #expect(contract.lastMonth == 12)
        #expect(contract.cancelledAt == nil)
    }

    @Test("cancelling in month 3 ends the contract after month 3")
    func cancelInMonthThree() throws {
        var contract = try contract()
        let last = try contract.cancel(at: rome(2026, 3, 1, 0))
        #expect(last.index == 3)
        #expect(contract.lastMonth == 3)
        #expect(contract.schedule.count == 3)
        #expect(throws: LedgerError.contractMonthOutOfRange(month: 4, lastMonth: 3)) {
            try contract.invoice(month: 4, number: number("2026/0040"), at: rome(2026, 4, 1, 9))
        }
        #expect(throws: LedgerError.contractAlreadyCancelled) { try contract.cancel(at: rome(2026, 3, 2, 0)) }
        _ = try contract.invoice(month: 3, number: number("2026/0030"), at: rome(2026, 3, 1, 9))
    }

    @Test("a contract that has ended cannot be cancelled")
    func cancelAfterEnd() throws {
        var contract = try contract()
        #expect(throws: LedgerError.contractMonthOutOfRange(month: 13, lastMonth: 12)) { try contract.cancel(at: rome(2027, 1, 5, 9)) }
    }

    @Test("each month's invoice bills and credits that month's minutes at the frozen terms")
    func monthlyInvoice() throws {
        let contract = try contract()
        var invoice = try contract.invoice(month: 2, number: number("2026/0002"), at: rome(2026, 2, 1, 9))
        #expect(invoice.contractMonth == 2)
        #expect(invoice.total == 87840)
        #expect(invoice.credit == 1200)
        #expect(try invoice.record(Payment(amount: 87840, reference: "feb", at: rome(2026, 2, 3, 9))) == .nowPaid(credit: 1200))
        #expect(throws: LedgerError.contractMonthOutOfRange(month: 0, lastMonth: 12)) {
            try contract.invoice(month: 0, number: number("2026/0003"), at: rome(2026, 2, 1, 9))
        }
        #expect(throws: LedgerError.contractMonthOutOfRange(month: 13, lastMonth: 12)) {
            try contract.invoice(month: 13, number: number("2027/0003"), at: rome(2027, 1, 1, 9))
        }
    }

    @Test("the month containing an instant")
    func monthIndex() throws {
        let contract = try contract()
        #expect(contract.monthIndex(at: rome(2025, 12, 31, 23, 59)) == 0)
        #expect(contract.monthIndex(at: rome(2026, 1, 1, 0)) == 1)
        #expect(contract.monthIndex(at: utc(2026, 1, 31, 23, 30)) == 2)  // already 1 February in Rome
        #expect(contract.monthIndex(at: rome(2026, 12, 31, 23)) == 12)
        #expect(contract.monthIndex(at: rome(2027, 1, 1, 0)) == 13)
    }

    @Test("with carry-over, unused minutes expire only at the end of the contract")
    func carryOver() throws {
        let contract = try contract(carryOver: true)
        for month in 1...11 {
            #expect(contract.expiringMinutes(atEndOf: month, remaining: 500, creditedForLaterMonths: 0) == .zero)
        }
        #expect(contract.expiringMinutes(atEndOf: 12, remaining: 500, creditedForLaterMonths: 0) == 500)
    }

    @Test("without carry-over, unused minutes expire every month, but not those paid in advance")
    func noCarryOver() throws {
        let contract = try contract(carryOver: false)
        #expect(contract.expiringMinutes(atEndOf: 1, remaining: 300, creditedForLaterMonths: 0) == 300)
        #expect(contract.expiringMinutes(atEndOf: 1, remaining: 1500, creditedForLaterMonths: 1200) == 300)
        #expect(contract.expiringMinutes(atEndOf: 1, remaining: 1000, creditedForLaterMonths: 1200) == .zero)
        #expect(contract.expiringMinutes(atEndOf: 1, remaining: -60, creditedForLaterMonths: 0) == .zero)
    }

    @Test("a cancelled contract's minutes expire at the end of its last month even with carry-over")
    func cancelledExpiry() throws {
        var contract = try contract(carryOver: true)
        try contract.cancel(at: rome(2026, 4, 10, 9))
        #expect(contract.expiringMinutes(atEndOf: 3, remaining: 200, creditedForLaterMonths: 0) == .zero)
        #expect(contract.expiringMinutes(atEndOf: 4, remaining: 200, creditedForLaterMonths: 0) == 200)
    }
}
