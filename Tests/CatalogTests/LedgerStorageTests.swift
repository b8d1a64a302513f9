import ContentStore
import Foundation
import Ledger
import Testing
@testable import Catalog

@Suite("Catalog: quotes, invoices, payments")
struct QuoteInvoiceStorageTests {
    @Test("monthly: draft → sent → accepted issues 2026/0001 for 878.40 EUR, the contract and the evidence")
    func monthlyAcceptance() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let cursor = try await catalog.latestChangeSequence(client: "acme")
        let time = rome(2026, 3, 2, 10)

        let draft = try await catalog.createQuote(
            client: "acme", project: "social", services: [QuoteService(name: "Social media", minutes: 1200)], at: time)
        #expect(draft.quote.id == "Q1" && draft.quote.state == .draft && draft.quote.plan == .monthly)
        #expect(draft.terms == nil && draft.evidence == nil)
        #expect(try await catalog.sendQuote("Q1", at: time).quote.state == .sent)
        let (accepted, invoice) = try await catalog.acceptQuote("Q1", policy: .standard, tokenID: 42, onBehalf: true, at: time)

        #expect(invoice.number == invoiceNumber("2026/0001"))
        #expect(invoice.net == 72000 && invoice.vat == 15840 && invoice.total == 87840)
        #expect(invoice.credit == 1200 && invoice.contractMonth == 1 && invoice.quote == "Q1")
        #expect(accepted.quote.state == .accepted)
        #expect(accepted.terms == (try PricingPolicy.standard.terms(for: .monthly)))
        let evidence = try #require(accepted.evidence)
        #expect(evidence.tokenID == 42 && evidence.onBehalf && evidence.at == time)
        #expect(evidence.text == (try accepted.quote.canonicalText()))
        #expect(evidence.sha256 == SHA256.hash(Array(evidence.text.utf8)).bytes)
        #expect(evidence.text.contains("total: 878.40 EUR\n"))

        // Read back exactly as returned.
        #expect(try await catalog.quote("Q1") == accepted)
        #expect(try await catalog.quotes(client: "acme") == [accepted])
        #expect(try await catalog.invoice(invoice.number) == invoice)
        #expect(try await catalog.invoices(client: "acme") == [invoice])
        let contract = try #require(try await catalog.contract(quote: "Q1"))
        #expect(contract.firstMonth == CivilMonth(year: 2026, month: 3) && contract.lastMonth == 12)

        let events = try await fixture.events("acme", after: cursor)
        #expect(events.map(\.kind) == ["quote.state", "quote.state", "quote.state", "invoice.state"])
        #expect(events.map(\.data) == [
            #"{"quote":"Q1","state":"draft"}"#,
            #"{"quote":"Q1","state":"sent"}"#,
            #"{"invoice":"2026/0001","quote":"Q1","state":"accepted"}"#,
            #"{"contract_month":1,"invoice":"2026/0001","quote":"Q1","state":"issued","total_cents":87840}"#,
        ])
        #expect(events.allSatisfy { $0.project == "social" })
        await catalog.close()
    }

    @Test("one-time: 20 h cost 805.20 EUR and credit 22 h; the client's own rate is frozen")
    func oneTimeAcceptance() async throws {
        let fixture = try await LedgerFixture.make()
        let (_, invoice) = try await fixture.acceptedQuote(
            client: "zeta", project: "website", services: [QuoteService(name: "Design", minutes: 1200)], at: rome(2026, 3, 2, 10))
        #expect(invoice.net == 66000 && invoice.vat == 14520 && invoice.total == 80520)
        #expect(invoice.credit == 1320 && invoice.contractMonth == nil)
        #expect(try await fixture.catalog.contract(quote: "Q1") == nil)

        // A client with its own rate: 1 h at 100.00 EUR, no plan, 22% VAT.
        _ = try await fixture.catalog.createClient(slug: "rich", name: "Rich", plan: .none, rateCents: 10_000)
        _ = try await fixture.catalog.createProject(client: "rich", slug: "p", title: "P")
        let (id, rich) = try await fixture.acceptedQuote(
            client: "rich", project: "p", services: [QuoteService(name: "Advice", minutes: 60)], at: rome(2026, 3, 2, 11))
        #expect(rich.number == invoiceNumber("2026/0002") && rich.total == 12200)
        // A later policy change never reprices the accepted quote.
        #expect(try await fixture.catalog.quote(id)?.terms?.rateCents == 10_000)
        await fixture.catalog.close()
    }

    @Test("a quote moves only draft → sent → accepted | rejected; a refused acceptance draws no number")
    func transitions() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let services = [QuoteService(name: "SEO", minutes: 60)]
        _ = try await catalog.createQuote(client: "nop", project: "misc", services: services)
        await #expect(throws: LedgerError.invalidQuoteTransition(from: .draft, to: .accepted)) {
            _ = try await catalog.acceptQuote("Q1", policy: .standard, tokenID: 1, onBehalf: false)
        }
        _ = try await catalog.sendQuote("Q1")
        await #expect(throws: LedgerError.invalidQuoteTransition(from: .sent, to: .sent)) { _ = try await catalog.sendQuote("Q1") }
        let rejected = try await catalog.rejectQuote("Q1", reason: "too expensive")
        #expect(rejected.quote.state == .rejected && rejected.quote.rejectionReason == "too expensive")
        await #expect(throws: LedgerError.invalidQuoteTransition(from: .rejected, to: .accepted)) {
            _ = try await catalog.acceptQuote("Q1", policy: .standard, tokenID: 1, onBehalf: false)
        }
        await #expect(throws: LedgerError.emptyQuote) { _ = try await catalog.createQuote(client: "nop", project: "misc", services: []) }
        // The refused quote took no id, the refused acceptances no invoice number.
        let (id, invoice) = try await fixture.acceptedQuote(client: "nop", project: "misc", services: services, at: Date())
        #expect(id == "Q2" && invoice.number.sequence == 1)
        #expect(try await catalog.quotes(client: "nop").map(\.quote.state) == [.rejected, .accepted])
        await catalog.close()
    }

    @Test("a partial and a final payment: the credit is appended once, a third payment is refused")
    func payments() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let time = rome(2026, 3, 2, 10)
        let (_, invoice) = try await fixture.acceptedQuote(
            client: "zeta", project: "website", services: [QuoteService(name: "Design", minutes: 1200)], at: time)
        let cursor = try await catalog.latestChangeSequence(client: "zeta")

        let first = try await catalog.recordPayment(invoice.number, amount: 50000, reference: "TRX-1", at: time)
        #expect(first.outcome == .partiallyPaid(outstanding: 30520))
        #expect(try await catalog.ledgerEntries(client: "zeta").isEmpty)
        await #expect(throws: LedgerError.overpayment(outstanding: 30520, offered: 30521)) {
            _ = try await catalog.recordPayment(invoice.number, amount: 30521, reference: "TRX-X", at: time)
        }
        let second = try await catalog.recordPayment(invoice.number, amount: 30520, reference: "TRX-2", at: time)
        #expect(second.outcome == .nowPaid(credit: 1320))
        #expect(second.invoice.isPaid && second.invoice.payments.map(\.reference) == ["TRX-1", "TRX-2"])
        // A retry of the completing payment is refused by the domain: no second credit.
        await #expect(throws: LedgerError.invoiceAlreadyPaid(invoice.number)) {
            _ = try await catalog.recordPayment(invoice.number, amount: 30520, reference: "TRX-2", at: time)
        }

        let entries = try await catalog.ledgerEntries(client: "zeta")
        #expect(entries.map(\.entry.kind) == [.credit(minutes: 1320, invoice: invoice.number)])
        #expect(entries.map(\.entry.sequence) == [1] && entries[0].entry.project == "website")
        #expect(try await catalog.balances(client: "zeta")["website"] == ProjectBalance(credited: 1320))
        #expect(try await catalog.invoice(invoice.number) == second.invoice)

        let events = try await fixture.events("zeta", after: cursor)
        #expect(events.map(\.kind) == ["invoice.state", "invoice.state", "ledger.entry"])
        #expect(events[0].data == #"{"deducted_cents":0,"invoice":"2026/0001","outstanding_cents":30520,"paid_cents":50000,"state":"partially-paid","total_cents":80520}"#)
        #expect(events[1].data == #"{"deducted_cents":0,"invoice":"2026/0001","outstanding_cents":0,"paid_cents":80520,"state":"paid","total_cents":80520}"#)
        #expect(events[2].data.contains(#""invoice":"2026/0001","kind":"credit","minutes":1320"#))
        await catalog.close()
    }

    @Test("a monthly contract invoices each month once; months outside it are refused")
    func contractMonths() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let (id, first) = try await fixture.acceptedQuote(
            client: "acme", project: "social", services: [QuoteService(name: "Social media", minutes: 1200)], at: rome(2026, 3, 2, 10))
        let second = try await catalog.issueContractInvoice(quote: id, month: 2, at: rome(2026, 4, 1, 9))
        #expect(second.number == invoiceNumber("2026/0002") && second.contractMonth == 2 && second.total == 87840)
        await #expect(throws: CatalogError.conflict("month 2 of the contract of quote Q1 is invoiced already (2026/0002)")) {
            _ = try await catalog.issueContractInvoice(quote: id, month: 2)
        }
        await #expect(throws: CatalogError.self) { _ = try await catalog.issueContractInvoice(quote: id, month: 1) }
        await #expect(throws: LedgerError.contractMonthOutOfRange(month: 13, lastMonth: 12)) {
            _ = try await catalog.issueContractInvoice(quote: id, month: 13, at: rome(2026, 4, 2, 9))
        }
        // Each paid month credits that month's minutes.
        _ = try await catalog.recordPayment(first.number, amount: first.total, reference: "M1")
        _ = try await catalog.recordPayment(second.number, amount: second.total, reference: "M2")
        #expect(try await catalog.balances(client: "acme")["social"]?.credited == 2400)
        // The refused month-13 invoice took no number.
        #expect(try await catalog.issueContractInvoice(quote: id, month: 3, at: rome(2026, 5, 1, 9)).number == invoiceNumber("2026/0003"))
        await catalog.close()
    }

    @Test("10 concurrent acceptances get 2026/0001 … 2026/0010, no gaps, no duplicates")
    func concurrentNumbers() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let time = rome(2026, 6, 1, 10)
        var ids: [String] = []
        for index in 1...10 {
            let quote = try await catalog.createQuote(
                client: index.isMultiple(of: 2) ? "zeta" : "acme", project: index.isMultiple(of: 2) ? "website" : "social",
                services: [QuoteService(name: "Work \(index)", minutes: Minutes(Int64(60 * index)))], at: time)
            _ = try await catalog.sendQuote(quote.quote.id, at: time)
            ids.append(quote.quote.id)
        }
        let numbers = try await withThrowingTaskGroup(of: InvoiceNumber.self) { group in
            for id in ids {
                group.addTask { try await catalog.acceptQuote(id, policy: .standard, tokenID: 1, onBehalf: false, at: time).invoice.number }
            }
            var numbers: [InvoiceNumber] = []
            for try await number in group { numbers.append(number) }
            return numbers
        }
        #expect(numbers.sorted() == (1...10).map { InvoiceNumber(year: 2026, sequence: $0)! })
        let stored = try await catalog.invoices(client: "acme") + catalog.invoices(client: "zeta")
        #expect(Set(stored.map(\.number)) == Set(numbers))
        await catalog.close()
    }

    @Test("numbering follows the Europe/Rome year: New Year's Eve 23:30 UTC is already 2027/0001")
    func newYear() async throws {
        let fixture = try await LedgerFixture.make()
        let services = [QuoteService(name: "SEO", minutes: 60)]
        let december = try await fixture.acceptedQuote(client: "nop", project: "misc", services: services, at: rome(2026, 12, 31, 23, 0))
        let next = try await fixture.acceptedQuote(
            client: "nop", project: "misc", services: services, at: Date(timeIntervalSince1970: 1_798_759_800))  // 2026-12-31T23:30:00Z
        let later = try await fixture.acceptedQuote(client: "nop", project: "misc", services: services, at: rome(2027, 1, 2, 9))
        #expect(december.invoice.number == invoiceNumber("2026/0001"))
        #expect(next.invoice.number == invoiceNumber("2027/0001"))
        #expect(later.invoice.number == invoiceNumber("2027/0002"))
        // The clock going back into 2026 is refused by the domain, and nothing is stored.
        let quote = try await fixture.catalog.createQuote(client: "nop", project: "misc", services: services)
        _ = try await fixture.catalog.sendQuote(quote.quote.id)
        await #expect(throws: LedgerError.invoiceYearBehind(last: invoiceNumber("2027/0002"), year: 2026)) {
            _ = try await fixture.catalog.acceptQuote(quote.quote.id, policy: .standard, tokenID: 1, onBehalf: false, at: rome(2026, 12, 30, 9))
        }
        #expect(try await fixture.catalog.quote(quote.quote.id)?.quote.state == .sent)
        #expect(try await fixture.catalog.invoices(client: "nop").count == 3)
        await fixture.catalog.close()
    }
}

@Suite("Catalog: hours, balances and the hash chain")
struct HourLedgerStorageTests {
    @Test("logging debits the balance; beyond it is refused with the balance in the error, and nothing is stored")
    func debitsAndRefusal() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await fixture.paidWebsite()
        let first = try await catalog.logHours(
            client: "zeta", project: "website", log: fixture.log(600, phase: "Design"), alertThresholds: [80, 100])
        #expect(first.entry.entry.sequence == 2 && first.balance == ProjectBalance(credited: 1320, used: 600) && first.alerts.isEmpty)
        guard case .debit(let hours) = first.entry.entry.kind else { Issue.record("not a debit"); return }
        #expect(hours.minutes == 600 && hours.phase == "Design" && hours.staff == "mario" && !hours.isOverage)

        let cursor = try await catalog.latestChangeSequence(client: "zeta")
        await #expect(throws: LedgerError.insufficientBalance(remaining: 720, requested: 721)) {
            _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(721), alertThresholds: [80, 100])
        }
        do {
            _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(721), alertThresholds: [])
        } catch let error as LedgerError {
            #expect(error.description.contains("720 minutes left, 721 requested"))
        }
        #expect(try await catalog.latestChangeSequence(client: "zeta") == cursor)
        #expect(try await catalog.ledgerEntries(client: "zeta").count == 2)
        await #expect(throws: CatalogError.invalid("project zeta/website has no phase Nope")) {
            _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(5, phase: "Nope"), alertThresholds: [])
        }
        await #expect(throws: LedgerError.zeroMinutes) {
            _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(0), alertThresholds: [])
        }
        await catalog.close()
    }

    @Test("a project that allows overage takes the debit and flags the excess")
    func overage() async throws {
        let fixture = try await LedgerFixture.make()
        let result = try await fixture.catalog.logHours(client: "zeta", project: "flex", log: fixture.log(90), alertThresholds: [80, 100])
        guard case .debit(let hours) = result.entry.entry.kind else { Issue.record("not a debit"); return }
        #expect(hours.isOverage && hours.overage == 90)
        #expect(result.balance.remaining == -90 && result.alerts.isEmpty)
        #expect(try await fixture.events("zeta").last?.data.contains(#""overage_minutes":90"#) == true)
        await fixture.catalog.close()
    }

    @Test("budget alerts enter the feed when usage crosses 80% and 100%, once each")
    func budgetAlerts() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await fixture.paidWebsite()
        let cursor = try await catalog.latestChangeSequence(client: "zeta")
        var alerts: [[Percent]] = []
        for minutes: Minutes in [600, 500, 100, 120] {  // 600, 1100 (≥ 1056 = 80%), 1200, 1320 (100%)
            alerts.append(try await catalog.logHours(
                client: "zeta", project: "website", log: fixture.log(minutes), alertThresholds: [80, 100]).alerts)
        }
        #expect(alerts == [[], [80], [], [100]])
        let events = try await fixture.events("zeta", after: cursor)
        #expect(events.map(\.kind) == ["ledger.entry", "ledger.entry", "budget.alert", "ledger.entry", "ledger.entry", "budget.alert"])
        let budget = events.filter { $0.kind == "budget.alert" }
        #expect(budget.map(\.data) == [
            #"{"credited_minutes":1320,"threshold_percent":80,"used_minutes":1100}"#,
            #"{"credited_minutes":1320,"threshold_percent":100,"used_minutes":1320}"#,
        ])
        #expect(budget.allSatisfy { $0.project == "website" })
        await catalog.close()
    }

    @Test("a reversal restores the balance, is itself chained, and cannot be repeated")
    func reversal() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await fixture.paidWebsite()
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(600, phase: "Design"), alertThresholds: [])
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(120), alertThresholds: [])
        let reversal = try await catalog.reverseEntry(client: "zeta", sequence: 2, reason: "logged on the wrong project")
        #expect(reversal.entry.sequence == 4 && reversal.entry.project == "website")
        #expect(reversal.entry.kind == .reversal(Reversal(entry: 2, reversed: .debit, minutes: 600, reason: "logged on the wrong project")))
        #expect(try await catalog.balances(client: "zeta") == [
            "website": ProjectBalance(credited: 1320, used: 120), "flex": ProjectBalance(),
        ])
        #expect(try await catalog.phaseUsage(client: "zeta") == [
            "website": ["Design": 0, "Build": 0, "": 120], "flex": [:],
        ])
        await #expect(throws: LedgerError.alreadyReversed(2)) { _ = try await catalog.reverseEntry(client: "zeta", sequence: 2, reason: "again") }
        await #expect(throws: LedgerError.notReversible(4)) { _ = try await catalog.reverseEntry(client: "zeta", sequence: 4, reason: "undo") }
        await #expect(throws: LedgerError.missingReason) { _ = try await catalog.reverseEntry(client: "zeta", sequence: 3, reason: " ") }
        await #expect(throws: LedgerError.entryNotFound(99)) { _ = try await catalog.reverseEntry(client: "zeta", sequence: 99, reason: "x") }
        #expect(try await catalog.ledgerEntries(client: "zeta").map(\.entry.sequence) == [1, 2, 3, 4])
        #expect(try await catalog.ledgerEntries(client: "zeta", project: "flex").isEmpty)
        await catalog.close()
    }

    @Test("each client's chain verifies from genesis; a rewritten row and a cut-off end are found")
    func chainVerification() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await fixture.paidWebsite()
        for minutes: Minutes in [30, 45, 60] {
            _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(minutes), alertThresholds: [])
        }
        _ = try await catalog.createProject(client: "acme", slug: "extra", title: "Extra", allowOverage: true)
        _ = try await catalog.logHours(client: "acme", project: "extra", log: fixture.log(10, service: "Posts"), alertThresholds: [])
        // An intact ledger: no breaks, and every hash is SHA-256(previous ‖ canonical bytes).
        #expect(try await catalog.verifyLedgerChains().isEmpty)
        let chain = try await catalog.ledgerEntries(client: "zeta")
        #expect(HashChain.verify(chain, client: "zeta", using: { SHA256.hash($0).bytes }) == nil)
        #expect(chain[0].hash == SHA256.hash(HashChain.genesis + chain[0].entry.canonicalBytes).bytes)

        // 45 minutes become 5 behind the catalog's back: entry 3 no longer matches its hash.
        try await catalog.tamperWithLedgerEntryForTesting(client: "zeta", sequence: 3) {
            $0.replacingOccurrences(of: #""minutes":45"#, with: #""minutes":5"#)
        }
        #expect(try await catalog.ledgerEntries(client: "zeta")[2].entry.kind != chain[2].entry.kind)
        var breaks = try await catalog.verifyLedgerChains()
        #expect(breaks.keys.sorted() == ["zeta"])
        #expect(breaks["zeta"]?.sequence == 3 && breaks["zeta"]?.position == 2)
        guard case .hashMismatch = breaks["zeta"]?.problem else { Issue.record("expected a hash mismatch"); return }

        // A row that no longer decodes at all is reported the same way, not as an error.
        try await catalog.tamperWithLedgerEntryForTesting(client: "acme", sequence: 1) { _ in "{}" }
        breaks = try await catalog.verifyLedgerChains()
        #expect(breaks["acme"]?.sequence == 1)

        // Removing the newest entry leaves the head pointing past the end.
        let fresh = try await LedgerFixture.make()
        _ = try await fresh.paidWebsite()
        _ = try await fresh.catalog.logHours(client: "zeta", project: "website", log: fresh.log(30), alertThresholds: [])
        try await fresh.catalog.deleteLedgerEntryForTesting(client: "zeta", sequence: 2)
        let cut = try await fresh.catalog.verifyLedgerChains()
        guard case .headMismatch = cut["zeta"]?.problem else { Issue.record("expected a head mismatch"); return }
        await fresh.catalog.close()
        await catalog.close()
    }

    @Test("the whole flow's feed: every event in order, with the right kinds")
    func wholeFlowFeed() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let cursor = try await catalog.latestChangeSequence(client: "zeta")
        let day = rome(2026, 3, 2, 10)
        let (_, invoice) = try await fixture.acceptedQuote(
            client: "zeta", project: "website",
            services: [QuoteService(name: "Design", minutes: 600), QuoteService(name: "Build", minutes: 600)], at: day)
        _ = try await catalog.recordPayment(invoice.number, amount: 50000, reference: "TRX-1", at: day)
        _ = try await catalog.recordPayment(invoice.number, amount: invoice.total - 50000, reference: "TRX-2", at: day)
        await #expect(throws: LedgerError.invoiceAlreadyPaid(invoice.number)) {
            _ = try await catalog.recordPayment(invoice.number, amount: 1, reference: "TRX-3", at: day)
        }
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(600, phase: "Design"), alertThresholds: [80, 100])
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(500, phase: "Build"), alertThresholds: [80, 100])
        await #expect(throws: LedgerError.insufficientBalance(remaining: 220, requested: 300)) {
            _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(300), alertThresholds: [80, 100])
        }
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(220), alertThresholds: [80, 100])
        _ = try await catalog.reverseEntry(client: "zeta", sequence: 4, reason: "duplicate")

        // The client disputes the Design entry: 600 minutes at the frozen one-time terms.
        let dispute = try await catalog.openDispute(client: "zeta", hourEntry: 2, reason: "not delivered", policy: .standard)
        #expect(dispute.id == "D1" && dispute.value == 40260 && dispute.state == .open)
        let (justified, issued) = try await catalog.resolveDispute("D1", justified: true, reason: "agreed", voucherCode: "V-7Q2X")
        let voucher = try #require(issued)
        #expect(justified.state == .justified(voucher: "V-7Q2X") && voucher.amount == 40260 && voucher.remaining == 40260)

        // The voucher pays part of a later invoice (1200 min one-time: 805.20 EUR).
        let (_, later) = try await fixture.acceptedQuote(
            client: "zeta", project: "website", services: [QuoteService(name: "More", minutes: 1200)], at: rome(2026, 4, 1, 10))
        let (deducted, use) = try await catalog.applyVoucher("V-7Q2X", to: later.number)
        #expect(use.amount == 40260 && use.outcome == .partiallyPaid(outstanding: 40260))
        #expect(deducted.due == 40260 && deducted.outstanding == 40260)
        #expect(try await catalog.vouchers(client: "zeta").map(\.remaining) == [0])
        await #expect(throws: LedgerError.voucherExhausted(code: "V-7Q2X")) { _ = try await catalog.applyVoucher("V-7Q2X", to: later.number) }

        #expect(try await catalog.ledgerEntries(client: "zeta").map(\.entry.kind.name) == [
            "credit", "debit", "debit", "debit", "reversal", "voucher-issued", "voucher-applied",
        ])
        #expect(try await catalog.balances(client: "zeta")["website"] == ProjectBalance(credited: 1320, used: 1100))
        #expect(try await catalog.phaseUsage(client: "zeta")["website"] == ["Design": 600, "Build": 500, "": 0])
        #expect(try await catalog.verifyLedgerChains().isEmpty)

        let events = try await fixture.events("zeta", after: cursor)
        #expect(events.map(\.seq) == Array((cursor + 1)...(cursor + Int64(events.count))))
        #expect(events.map(\.kind) == [
            "quote.state", "quote.state", "quote.state", "invoice.state",  // Q1 draft, sent, accepted; 2026/0001 issued
            "invoice.state", "invoice.state", "ledger.entry",  // partially paid, paid, credit
            "ledger.entry", "ledger.entry", "budget.alert", "ledger.entry", "budget.alert",  // 600, 500 (80%), 220 (100%)
            "ledger.entry",  // reversal
            "dispute.state", "dispute.state", "ledger.entry",  // open, justified, voucher issued
            "quote.state", "quote.state", "quote.state", "invoice.state",  // Q2, 2026/0002
            "invoice.state", "ledger.entry",  // voucher deducted
        ])
        #expect(events[13].data == #"{"dispute":"D1","entry":2,"state":"open","subject":"hour-entry","value_cents":40260}"#)
        #expect(events[14].data == #"{"dispute":"D1","entry":2,"state":"justified","subject":"hour-entry","value_cents":40260,"voucher":"V-7Q2X"}"#)
        #expect(events[20].data == #"{"deducted_cents":40260,"invoice":"2026/0002","outstanding_cents":40260,"paid_cents":0,"state":"partially-paid","total_cents":80520}"#)
        await catalog.close()
    }
}

@Suite("Catalog: disputes and vouchers")
struct DisputeStorageTests {
    @Test("a rejected dispute keeps its reason and issues nothing; it cannot be resolved twice")
    func rejected() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let invoice = try await fixture.paidWebsite()
        await #expect(throws: LedgerError.disputedAmountOutOfRange(disputed: 80521, invoiceTotal: 80520)) {
            _ = try await catalog.openDispute(client: "zeta", invoice: invoice.number, amount: 80521, reason: "too much")
        }
        await #expect(throws: LedgerError.missingReason) {
            _ = try await catalog.openDispute(client: "zeta", invoice: invoice.number, amount: 100, reason: "  ")
        }
        let dispute = try await catalog.openDispute(client: "zeta", invoice: invoice.number, amount: 10000, reason: "late delivery")
        #expect(dispute.id == "D1" && dispute.value == 10000 && dispute.subject == .invoice(number: invoice.number, amount: 10000))
        await #expect(throws: CatalogError.conflict("invoice 2026/0001 is disputed already (D1)")) {
            _ = try await catalog.openDispute(client: "zeta", invoice: invoice.number, amount: 500, reason: "again")
        }
        await #expect(throws: LedgerError.missingReason) {
            _ = try await catalog.resolveDispute("D1", justified: false, reason: "", voucherCode: "")
        }
        let (rejected, voucher) = try await catalog.resolveDispute("D1", justified: false, reason: "delivered on time", voucherCode: "")
        #expect(voucher == nil && rejected.state == .rejected && rejected.resolution == "delivered on time")
        await #expect(throws: LedgerError.disputeAlreadyResolved) {
            _ = try await catalog.resolveDispute("D1", justified: true, reason: "changed my mind", voucherCode: "V1")
        }
        #expect(try await catalog.disputes(client: "zeta") == [rejected])
        #expect(try await catalog.vouchers(client: "zeta").isEmpty)
        #expect(try await catalog.ledgerEntries(client: "zeta").count == 1)
        // Once rejected, the subject may be disputed again.
        #expect(try await catalog.openDispute(client: "zeta", invoice: invoice.number, amount: 500, reason: "new facts").id == "D2")
        await catalog.close()
    }

    @Test("an hour dispute is valued at the project's latest accepted quote, else at the client's plan terms")
    func valuation() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        // Flex has no quote: 60 minutes at the one-time plan's terms in force (33.00 + 7.26).
        _ = try await catalog.logHours(client: "zeta", project: "flex", log: fixture.log(60), alertThresholds: [])
        let fallback = try await catalog.openDispute(client: "zeta", hourEntry: 1, reason: "slow", policy: .standard)
        #expect(fallback.value == 4026)
        guard case .hourEntry(1, 60, let terms) = fallback.subject else { Issue.record("wrong subject"); return }
        #expect(terms == (try PricingPolicy.standard.terms(for: .oneTime)))
        // A quote accepted at 80.00 EUR/h prices the project's entries from then on; the policy given is not used.
        _ = try await fixture.acceptedQuote(
            client: "zeta", project: "flex", services: [QuoteService(name: "Flex", minutes: 60)], at: Date(),
            policy: PricingPolicy(hourlyRate: 8000))
        _ = try await catalog.logHours(client: "zeta", project: "flex", log: fixture.log(60), alertThresholds: [])
        let quoted = try await catalog.openDispute(client: "zeta", hourEntry: 2, reason: "slow", policy: .standard)
        #expect(quoted.value == 5368)  // 44.00 + 9.68
        guard case .hourEntry(2, 60, let frozen) = quoted.subject else { Issue.record("wrong subject"); return }
        #expect(frozen.rateCents == 8000 && frozen.discountPercent == 45)
        await catalog.close()
    }

    @Test("only a live hour entry can be disputed; a refused dispute takes no id")
    func hourRefusals() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await fixture.paidWebsite()
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(60), alertThresholds: [])
        _ = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(30), alertThresholds: [])
        _ = try await catalog.reverseEntry(client: "zeta", sequence: 3, reason: "mistake")
        await #expect(throws: LedgerError.notAnHourEntry(1)) {
            _ = try await catalog.openDispute(client: "zeta", hourEntry: 1, reason: "x", policy: .standard)
        }
        await #expect(throws: LedgerError.alreadyReversed(3)) {
            _ = try await catalog.openDispute(client: "zeta", hourEntry: 3, reason: "x", policy: .standard)
        }
        await #expect(throws: LedgerError.disputedMinutesOutOfRange(disputed: 61, logged: 60)) {
            _ = try await catalog.openDispute(client: "zeta", hourEntry: 2, minutes: 61, reason: "x", policy: .standard)
        }
        let dispute = try await catalog.openDispute(client: "zeta", hourEntry: 2, minutes: 30, reason: "half of it", policy: .standard)
        #expect(dispute.id == "D1" && dispute.value == 2013)
        await #expect(throws: CatalogError.conflict("hour-entry 2 is disputed already (D1)")) {
            _ = try await catalog.openDispute(client: "zeta", hourEntry: 2, reason: "again", policy: .standard)
        }
        // A voucher code is unique.
        _ = try await catalog.resolveDispute("D1", justified: true, reason: "ok", voucherCode: "SAME")
        let invoice = try #require(try await catalog.invoices(client: "zeta").first)
        let other = try await catalog.openDispute(client: "zeta", invoice: invoice.number, amount: 100, reason: "x")
        await #expect(throws: CatalogError.conflict("voucher code SAME is taken")) {
            _ = try await catalog.resolveDispute(other.id, justified: true, reason: "ok", voucherCode: "SAME")
        }
        #expect(try await catalog.dispute(other.id)?.state == .open)
        await catalog.close()
    }

    @Test("a voucher covering the rest of an invoice completes it and credits its minutes once; other clients' invoices refuse it")
    func voucherCompletes() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await catalog.logHours(client: "zeta", project: "flex", log: fixture.log(600), alertThresholds: [])
        _ = try await catalog.openDispute(client: "zeta", hourEntry: 1, reason: "not needed", policy: .standard)
        let (_, voucher) = try await catalog.resolveDispute("D1", justified: true, reason: "refund", voucherCode: "V-BIG")
        #expect(voucher?.amount == 40260)
        // A 60-minute one-time invoice (40.26 EUR) is paid by the voucher alone.
        let (_, small) = try await fixture.acceptedQuote(
            client: "zeta", project: "website", services: [QuoteService(name: "Fix", minutes: 60)], at: Date())
        let (_, acmeInvoice) = try await fixture.acceptedQuote(
            client: "acme", project: "social", services: [QuoteService(name: "Post", minutes: 60)], at: Date())
        await #expect(throws: LedgerError.voucherOfAnotherClient(code: "V-BIG")) { _ = try await catalog.applyVoucher("V-BIG", to: acmeInvoice.number) }
        let (paid, use) = try await catalog.applyVoucher("V-BIG", to: small.number)
        #expect(use.outcome == .nowPaid(credit: 66) && paid.isPaid && paid.paid == 0)
        #expect(try await catalog.voucher("V-BIG")?.remaining == 40260 - 4026)
        #expect(try await catalog.ledgerEntries(client: "zeta").map(\.entry.kind.name) == ["debit", "voucher-issued", "voucher-applied", "credit"])
        await #expect(throws: LedgerError.invoiceAlreadyPaid(small.number)) {
            _ = try await catalog.recordPayment(small.number, amount: 1, reference: "late")
        }
        #expect(try await catalog.balances(client: "zeta")["website"]?.credited == 66)
        await catalog.close()
    }
}

@Suite("Catalog: ledger steps on a caller's transaction")
struct LedgerIdempotencyTests {
    @Test("a step the domain refuses inside idempotent(…) leaves nothing behind, not even a drawn id")
    func refusedStepRollsBack() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        _ = try await fixture.paidWebsite()
        let cursor = try await catalog.latestChangeSequence(client: "zeta")
        let hash = SHA256.hash("dispute entry 1").bytes
        // The server's pattern: the refusal becomes the recorded 422 response.
        let (response, replayed) = try await catalog.idempotent(scope: "POST disputes", key: "k1", requestHash: hash) { db in
            do {
                let dispute = try await Catalog.openDispute(db, client: "zeta", hourEntry: 1, reason: "x", policy: .standard)
                return StoredResponse(status: 201, body: Array(dispute.id.utf8))
            } catch let refusal as LedgerError {
                return StoredResponse(status: 422, body: Array(refusal.code.utf8))
            }
        }
        #expect(!replayed && response == StoredResponse(status: 422, body: Array("not_an_hour_entry".utf8)))
        #expect(try await catalog.latestChangeSequence(client: "zeta") == cursor)
        #expect(try await catalog.disputes(client: "zeta").isEmpty)

        // The counter the refused step drew was rolled back with it.
        let entry = try await catalog.logHours(client: "zeta", project: "website", log: fixture.log(60), alertThresholds: [])
        let (created, _) = try await catalog.idempotent(scope: "POST disputes", key: "k2", requestHash: hash) { db in
            let dispute = try await Catalog.openDispute(db, client: "zeta", hourEntry: entry.entry.entry.sequence, reason: "x", policy: .standard)
            return StoredResponse(status: 201, body: Array(dispute.id.utf8))
        }
        #expect(created.body == Array("D1".utf8))
        await catalog.close()
    }
}

@Suite("Catalog: unknown ledger subjects")
struct LedgerNotFoundTests {
    @Test("every quote, invoice, ledger and dispute method says .notFound for what does not exist")
    func notFound() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let services = [QuoteService(name: "SEO", minutes: 60)]
        let noClient = CatalogError.notFound("no client nobody")
        let missing = invoiceNumber("2026/0099")

        await #expect(throws: noClient) { _ = try await catalog.createQuote(client: "nobody", project: "x", services: services) }
        await #expect(throws: CatalogError.notFound("no project zeta/nothing")) {
            _ = try await catalog.createQuote(client: "zeta", project: "nothing", services: services)
        }
        await #expect(throws: CatalogError.notFound("no quote Q9")) { _ = try await catalog.sendQuote("Q9") }
        await #expect(throws: CatalogError.notFound("no quote Q9")) {
            _ = try await catalog.acceptQuote("Q9", policy: .standard, tokenID: 1, onBehalf: false)
        }
        await #expect(throws: CatalogError.notFound("no quote Q9")) { _ = try await catalog.rejectQuote("Q9", reason: nil) }
        #expect(try await catalog.quote("Q9") == nil)
        await #expect(throws: noClient) { _ = try await catalog.quotes(client: "nobody") }

        await #expect(throws: noClient) { _ = try await catalog.invoices(client: "nobody") }
        #expect(try await catalog.invoice(missing) == nil)
        await #expect(throws: CatalogError.notFound("no invoice 2026/0099")) {
            _ = try await catalog.recordPayment(missing, amount: 100, reference: "x")
        }
        await #expect(throws: CatalogError.notFound("no monthly contract for quote Q9")) {
            _ = try await catalog.issueContractInvoice(quote: "Q9", month: 2)
        }
        // A one-time quote has no contract either.
        let (oneTime, invoice) = try await fixture.acceptedQuote(client: "zeta", project: "website", services: services, at: Date())
        await #expect(throws: CatalogError.notFound("no monthly contract for quote \(oneTime)")) {
            _ = try await catalog.issueContractInvoice(quote: oneTime, month: 2)
        }

        await #expect(throws: noClient) {
            _ = try await catalog.logHours(client: "nobody", project: "x", log: fixture.log(5), alertThresholds: [])
        }
        await #expect(throws: CatalogError.notFound("no project zeta/nothing")) {
            _ = try await catalog.logHours(client: "zeta", project: "nothing", log: fixture.log(5), alertThresholds: [])
        }
        await #expect(throws: noClient) { _ = try await catalog.reverseEntry(client: "nobody", sequence: 1, reason: "x") }
        await #expect(throws: noClient) { _ = try await catalog.ledgerEntries(client: "nobody") }
        await #expect(throws: CatalogError.notFound("no project zeta/nothing")) {
            _ = try await catalog.ledgerEntries(client: "zeta", project: "nothing")
        }
        await #expect(throws: noClient) { _ = try await catalog.balances(client: "nobody") }
        await #expect(throws: noClient) { _ = try await catalog.phaseUsage(client: "nobody") }

        await #expect(throws: noClient) {
            _ = try await catalog.openDispute(client: "nobody", hourEntry: 1, reason: "x", policy: .standard)
        }
        await #expect(throws: LedgerError.entryNotFound(7)) {
            _ = try await catalog.openDispute(client: "zeta", hourEntry: 7, reason: "x", policy: .standard)
        }
        await #expect(throws: noClient) { _ = try await catalog.openDispute(client: "nobody", invoice: missing, amount: 1, reason: "x") }
        await #expect(throws: CatalogError.notFound("no invoice 2026/0099 for client zeta")) {
            _ = try await catalog.openDispute(client: "zeta", invoice: missing, amount: 1, reason: "x")
        }
        // Another client's invoice is as good as missing.
        await #expect(throws: CatalogError.notFound("no invoice \(invoice.number) for client acme")) {
            _ = try await catalog.openDispute(client: "acme", invoice: invoice.number, amount: 1, reason: "x")
        }
        await #expect(throws: CatalogError.notFound("no dispute D9")) {
            _ = try await catalog.resolveDispute("D9", justified: true, reason: "x", voucherCode: "V")
        }
        await #expect(throws: CatalogError.notFound("no voucher NOPE")) { _ = try await catalog.applyVoucher("NOPE", to: invoice.number) }
        await #expect(throws: noClient) { _ = try await catalog.disputes(client: "nobody") }
        await #expect(throws: noClient) { _ = try await catalog.vouchers(client: "nobody") }
        #expect(try await catalog.dispute("D9") == nil)
        #expect(try await catalog.voucher("NOPE") == nil)
        await catalog.close()
    }
}
