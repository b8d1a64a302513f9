import Ledger
import Testing

@Suite("Disputes and vouchers")
struct DisputeTests {
    private let monthly = QuoteTerms(
        plan: .monthly, rateCents: 6000, discountPercent: 40, vatPercent: 22,
        contract: ContractTerms(months: 12, minimumMonths: 3, carryOver: true))

    private func hourEntry(_ minutes: Minutes = 60) -> LedgerEntry {
        LedgerEntry(
            sequence: 7, client: "acme", project: "website", at: rome(2026, 2, 3, 10),
            kind: .debit(HourEntry(minutes: minutes, service: "Copywriting", phase: "Design", note: "", staff: "giulia")))
    }

    @Test("a justified hour-entry dispute issues a voucher worth the minutes at the discounted rate, VAT included")
    func justifiedHourEntry() throws {
        // 60 min at 60.00 EUR, 40% off: net 36.00 + VAT 7.92 = 43.92
        var dispute = try Dispute.open(id: "D-1", hourEntry: hourEntry(), terms: monthly, reason: "not requested", at: rome(2026, 2, 4, 9))
        #expect(dispute.state == .open)
        #expect(dispute.value == 4392)
        #expect(dispute.subject == .hourEntry(sequence: 7, minutes: 60, terms: monthly))
        let voucher = try dispute.justify(voucherCode: "V-7F3K", at: rome(2026, 2, 5, 9), note: "agreed")
        #expect(voucher.amount == 4392)
        #expect(voucher.remaining == 4392)
        #expect(voucher.client == "acme")
        #expect(voucher.dispute == "D-1")
        #expect(voucher.issuedEntry == .voucherIssued(code: "V-7F3K", amount: 4392, dispute: "D-1"))
        #expect(dispute.state == .justified(voucher: "V-7F3K"))
        #expect(dispute.resolution == "agreed")
        #expect(dispute.resolvedAt == rome(2026, 2, 5, 9))
    }

    @Test("part of an hour entry can be disputed; its value goes through the one rounding rule")
    func partialMinutes() throws {
        // 25 min × 60.00 EUR × 60% = 15.00 net + 3.30 VAT
        let dispute = try Dispute.open(id: "D-2", hourEntry: hourEntry(), minutes: 25, terms: monthly, reason: "too long", at: 0)
        #expect(dispute.value == 1830)
        #expect(dispute.value == (try InvoiceLine.price(minutes: 25, rateCents: 6000, discountPercent: 40, vatPercent: 22)).total)
        #expect(throws: LedgerError.disputedMinutesOutOfRange(disputed: 61, logged: 60)) {
            try Dispute.open(id: "D-3", hourEntry: hourEntry(), minutes: 61, terms: monthly, reason: "x", at: 0)
        }
        #expect(throws: LedgerError.disputedMinutesOutOfRange(disputed: 0, logged: 60)) {
            try Dispute.open(id: "D-3", hourEntry: hourEntry(), minutes: 0, terms: monthly, reason: "x", at: 0)
        }
    }

    @Test("only hour entries are disputed as hour entries; a reason is required")
    func openRefusals() {
        let credit = LedgerEntry(sequence: 1, client: "acme", project: "website", at: 0, kind: .credit(minutes: 60, invoice: number("2026/0001")))
        #expect(throws: LedgerError.notAnHourEntry(1)) { try Dispute.open(id: "D", hourEntry: credit, terms: monthly, reason: "x", at: 0) }
        #expect(throws: LedgerError.missingReason) { try Dispute.open(id: "D", hourEntry: hourEntry(), terms: monthly, reason: "  ", at: 0) }
    }

    @Test("an invoice dispute is worth the disputed amount, at most the invoice total")
    func invoiceDispute() throws {
        let invoice = try accepted(plan: .monthly).invoice
        var dispute = try Dispute.open(id: "D-4", invoice: invoice, amount: 10000, reason: "work not delivered", at: 0)
        #expect(dispute.value == 10000)
        #expect(dispute.subject == .invoice(number: number("2026/0001"), amount: 10000))
        #expect(try Dispute.open(id: "D-5", invoice: invoice, reason: "all of it", at: 0).value == 87840)
        #expect(throws: LedgerError.disputedAmountOutOfRange(disputed: 87841, invoiceTotal: 87840)) {
            try Dispute.open(id: "D-6", invoice: invoice, amount: 87841, reason: "x", at: 0)
        }
        #expect(throws: LedgerError.disputedAmountOutOfRange(disputed: 0, invoiceTotal: 87840)) {
            try Dispute.open(id: "D-6", invoice: invoice, amount: 0, reason: "x", at: 0)
        }
        let voucher = try dispute.justify(voucherCode: "V-1", at: 1)
        #expect(voucher.amount == 10000)
    }

    @Test("a rejection needs a reason; a resolved dispute stays resolved")
    func rejection() throws {
        var dispute = try Dispute.open(id: "D-1", hourEntry: hourEntry(), terms: monthly, reason: "not requested", at: 0)
        #expect(throws: LedgerError.missingReason) { try dispute.reject(reason: "", at: 1) }
        #expect(dispute.state == .open)
        try dispute.reject(reason: "requested by email on 2 Feb", at: 2)
        #expect(dispute.state == .rejected)
        #expect(dispute.resolution == "requested by email on 2 Feb")
        #expect(throws: LedgerError.disputeAlreadyResolved) { try dispute.justify(voucherCode: "V", at: 3) }
        #expect(throws: LedgerError.disputeAlreadyResolved) { try dispute.reject(reason: "again", at: 3) }
        #expect(dispute.reason == "not requested")
    }

    @Test("a justified dispute's voucher pays part of a later invoice and keeps no remainder, or keeps one")
    func voucherOnLaterInvoice() throws {
        var dispute = try Dispute.open(id: "D-1", hourEntry: hourEntry(), terms: monthly, reason: "not requested", at: 0)
        var voucher = try dispute.justify(voucherCode: "V-1", at: 1)
        #expect(throws: LedgerError.disputeAlreadyResolved) { try dispute.justify(voucherCode: "V-2", at: 2) }

        let contract = try #require(accepted(plan: .monthly).contract)
        var march = try contract.invoice(month: 3, number: number("2026/0003"), at: rome(2026, 3, 1, 9))
        let use = try march.apply(&voucher, at: rome(2026, 3, 1, 9))
        #expect(use.amount == 4392)
        #expect(march.due == Cents(87840 - 4392))
        #expect(march.due >= .zero)
        #expect(voucher.remaining == .zero)
    }
}
