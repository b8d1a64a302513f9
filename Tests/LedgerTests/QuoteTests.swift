import Foundation
import Ledger
import Testing

@Suite("Pricing policy")
struct PricingPolicyTests {
    @Test("defaults are the design's")
    func defaults() throws {
        let policy = PricingPolicy.standard
        #expect(policy.hourlyRate == 6000)
        #expect(policy.discount(for: .none) == 0)
        #expect(policy.discount(for: .monthly) == 40)
        #expect(policy.discount(for: .oneTime) == 45)
        #expect(policy.oneTimeBonus == 10)
        #expect(policy.vat == 22)
        #expect(policy.contractMonths == 12)
        #expect(policy.minimumMonths == 3)
        #expect(policy.carryOverUnusedMinutes)
        #expect(policy.alertThresholds == [80, 100])
        try policy.validate()
    }

    @Test("terms in force per plan, with the client's own rate if it has one")
    func terms() throws {
        let monthly = try PricingPolicy.standard.terms(for: .monthly)
        #expect(monthly == QuoteTerms(
            plan: .monthly, rateCents: 6000, discountPercent: 40, vatPercent: 22, bonusPercent: 0,
            contract: ContractTerms(months: 12, minimumMonths: 3, carryOver: true)))
        let oneTime = try PricingPolicy.standard.terms(for: .oneTime, clientRate: 7500)
        #expect(oneTime == QuoteTerms(plan: .oneTime, rateCents: 7500, discountPercent: 45, vatPercent: 22, bonusPercent: 10))
        #expect(try PricingPolicy.standard.terms(for: .none).discountPercent == 0)
    }

    @Test("policies no rule can work with are refused")
    func invalid() {
        var policy = PricingPolicy.standard
        policy.minimumMonths = 13
        #expect(throws: LedgerError.invalidPolicy("the minimum months must be 1...12")) { try policy.validate() }
        policy = .standard
        policy.contractMonths = 0
        #expect(throws: LedgerError.self) { try policy.validate() }
        policy = .standard
        policy.alertThresholds = [0, 80]
        #expect(throws: LedgerError.self) { try policy.validate() }
        policy = .standard
        policy.hourlyRate = -1
        #expect(throws: LedgerError.self) { try policy.terms(for: .none) }
        #expect(throws: LedgerError.negativeRate(-5)) { try PricingPolicy.standard.terms(for: .none, clientRate: -5) }
    }
}

@Suite("Quotes")
struct QuoteTests {
    @Test("only draft → sent → accepted | rejected | expired are allowed")
    func transitionTable() {
        let allowed: Set<[QuoteState]> = [[.draft, .sent], [.sent, .accepted], [.sent, .rejected], [.sent, .expired]]
        for from in QuoteState.allCases {
            for to in QuoteState.allCases {
                #expect(from.canMove(to: to) == allowed.contains([from, to]), "\(from) → \(to)")
            }
        }
        #expect(QuoteState.allCases.filter(\.isFinal) == [.accepted, .rejected, .expired])
    }

    @Test("a draft is sent, then accepted")
    func happyPath() throws {
        var quote = try Quote(
            id: "Q-1", client: "acme", project: "website", plan: .monthly,
            services: [QuoteService(name: "Social media", minutes: 1200)])
        #expect(quote.state == .draft)
        try quote.send(at: rome(2026, 1, 10, 10))
        #expect(quote.state == .sent)
        #expect(quote.sentAt == rome(2026, 1, 10, 10))
        _ = try quote.accept(terms: PricingPolicy.standard.terms(for: .monthly), invoiceNumber: number("2026/0001"), at: rome(2026, 1, 15, 12))
        #expect(quote.state == .accepted)
        #expect(quote.decidedAt == rome(2026, 1, 15, 12))
    }

    @Test("a draft cannot be accepted, rejected or expired")
    func draftMustBeSent() throws {
        var quote = try Quote(id: "Q-1", client: "acme", project: "website", plan: .none, services: [QuoteService(name: "SEO", minutes: 60)])
        let terms = try PricingPolicy.standard.terms(for: .none)
        #expect(throws: LedgerError.invalidQuoteTransition(from: .draft, to: .accepted)) {
            try quote.accept(terms: terms, invoiceNumber: number("2026/0001"), at: rome(2026, 1, 15, 12))
        }
        #expect(throws: LedgerError.invalidQuoteTransition(from: .draft, to: .rejected)) { try quote.reject(at: 0) }
        #expect(throws: LedgerError.invalidQuoteTransition(from: .draft, to: .expired)) { try quote.expire(at: 0) }
        #expect(quote.state == .draft)
    }

    @Test("final states are final")
    func finalStates() throws {
        var rejected = try sentQuote(plan: .none)
        try rejected.reject(at: rome(2026, 1, 11, 9), reason: "too expensive")
        #expect(rejected.state == .rejected)
        #expect(rejected.rejectionReason == "too expensive")
        #expect(throws: LedgerError.invalidQuoteTransition(from: .rejected, to: .sent)) { try rejected.send(at: 0) }
        #expect(throws: LedgerError.invalidQuoteTransition(from: .rejected, to: .expired)) { try rejected.expire(at: 0) }

        var expired = try sentQuote(plan: .none)
        try expired.expire(at: rome(2026, 2, 10, 0))
        #expect(expired.state == .expired)
        #expect(throws: LedgerError.invalidQuoteTransition(from: .expired, to: .accepted)) {
            try expired.accept(terms: PricingPolicy.standard.terms(for: .none), invoiceNumber: number("2026/0001"), at: rome(2026, 2, 11, 9))
        }

        var accepted = try accepted(plan: .none).quote
        #expect(throws: LedgerError.invalidQuoteTransition(from: .accepted, to: .rejected)) { try accepted.reject(at: 0) }
        #expect(throws: LedgerError.invalidQuoteTransition(from: .accepted, to: .accepted)) {
            try accepted.accept(terms: PricingPolicy.standard.terms(for: .none), invoiceNumber: number("2026/0002"), at: rome(2026, 2, 11, 9))
        }
    }

    @Test("a quote needs services with names and minutes")
    func validation() {
        func make(_ services: [QuoteService]) throws(LedgerError) -> Quote {
            try Quote(id: "Q", client: "acme", project: "web", plan: .none, services: services)
        }
        #expect(throws: LedgerError.emptyQuote) { try make([]) }
        #expect(throws: LedgerError.invalidService("SEO")) { try make([QuoteService(name: "SEO", minutes: 0)]) }
        #expect(throws: LedgerError.invalidService(" ")) { try make([QuoteService(name: " ", minutes: 60)]) }
        #expect(throws: LedgerError.negativeMinutes(-60)) { try make([QuoteService(name: "SEO", minutes: -60)]) }
    }

    @Test("20 h at 60.00 EUR on monthly: net 720.00, VAT 158.40, total 878.40, 1200 minutes credited")
    func monthlyExample() throws {
        let acceptance = try accepted(plan: .monthly)
        let invoice = acceptance.invoice
        #expect(invoice.net == 72000)
        #expect(invoice.vat == 15840)
        #expect(invoice.total == 87840)
        #expect(invoice.credit == 1200)
        #expect(invoice.contractMonth == 1)
        #expect(invoice.number == number("2026/0001"))
        #expect(invoice.items.map(\.description) == ["Social media"])
        let line = try #require(invoice.items.first?.line)
        #expect(line.rateCents == 6000)
        #expect(line.discountPercent == 40)
        #expect(acceptance.contract?.firstMonth == CivilMonth(year: 2026, month: 1))
    }

    @Test("20 h at 60.00 EUR on one-time: net 660.00, VAT 145.20, total 805.20, 22 h (1320 min) credited")
    func oneTimeExample() throws {
        let acceptance = try accepted(plan: .oneTime)
        #expect(acceptance.invoice.net == 66000)
        #expect(acceptance.invoice.vat == 14520)
        #expect(acceptance.invoice.total == 80520)
        #expect(acceptance.invoice.credit == 1320)
        #expect(acceptance.invoice.contractMonth == nil)
        #expect(acceptance.contract == nil)
    }

    @Test("20 h at list price: net 1200.00, VAT 264.00, total 1464.00")
    func noPlanExample() throws {
        let invoice = try accepted(plan: .none).invoice
        #expect(invoice.net == 120_000)
        #expect(invoice.vat == 26400)
        #expect(invoice.total == 146_400)
        #expect(invoice.credit == 1200)
    }

    @Test("each service is its own line, rounded once: two half cents make two cents, not one")
    func roundingPerLine() throws {
        let quote = try Quote(
            id: "Q", client: "acme", project: "web", plan: .none,
            services: [QuoteService(name: "A", minutes: 1), QuoteService(name: "B", minutes: 1)])
        let terms = QuoteTerms(plan: .none, rateCents: 30, discountPercent: 0, vatPercent: 0)
        let pricing = try quote.pricing(with: terms)
        #expect(pricing.items.map(\.line.net) == [1, 1])
        #expect(pricing.net == 2)
        #expect(pricing.minutes == 2)
    }

    @Test("accepting freezes the terms: a later policy change does not reprice the quote or its contract")
    func termsFrozen() throws {
        let acceptance = try accepted(plan: .monthly)
        var expensive = PricingPolicy.standard
        expensive.hourlyRate = 9000
        expensive.monthlyDiscount = 10
        #expect(try acceptance.quote.canonicalText(terms: expensive.terms(for: .monthly)) != acceptance.canonicalText)
        #expect(acceptance.quote.terms?.rateCents == 6000)
        #expect(acceptance.quote.terms?.discountPercent == 40)
        #expect(try acceptance.quote.canonicalText() == acceptance.canonicalText)
        let month2 = try #require(acceptance.contract).invoice(month: 2, number: number("2026/0002"), at: rome(2026, 2, 1, 9))
        #expect(month2.total == 87840)
    }

    @Test("terms for another plan are refused")
    func wrongPlan() throws {
        var quote = try sentQuote(plan: .monthly)
        #expect(throws: LedgerError.termsForAnotherPlan(terms: .oneTime, quote: .monthly)) {
            try quote.accept(terms: PricingPolicy.standard.terms(for: .oneTime), invoiceNumber: number("2026/0001"), at: rome(2026, 1, 15, 12))
        }
        #expect(quote.state == .sent)
    }

    @Test("monthly terms without contract terms are refused")
    func monthlyNeedsContract() throws {
        var quote = try sentQuote(plan: .monthly)
        #expect(throws: LedgerError.invalidPolicy("monthly terms need contract terms")) {
            try quote.accept(
                terms: QuoteTerms(plan: .monthly, rateCents: 6000, discountPercent: 40, vatPercent: 22),
                invoiceNumber: number("2026/0001"), at: rome(2026, 1, 15, 12))
        }
        #expect(quote.state == .sent)
    }

    @Test("a failed acceptance leaves the quote as it was")
    func failedAcceptance() throws {
        var quote = try sentQuote(plan: .none)
        let before = quote
        // A 2025 number for an invoice dated 2026.
        #expect(throws: LedgerError.invoiceNumberYear(number("2025/0009"), issuedIn: 2026)) {
            try quote.accept(terms: PricingPolicy.standard.terms(for: .none), invoiceNumber: number("2025/0009"), at: rome(2026, 1, 15, 12))
        }
        #expect(quote == before)
        #expect(quote.terms == nil)
    }

    @Test("the invoice year is the Rome year: 31 Dec 23:30 UTC is already next year in Rome")
    func romeYear() throws {
        var quote = try sentQuote(plan: .none)
        let newYearInRome = utc(2026, 12, 31, 23, 30)
        let acceptance = try quote.accept(
            terms: PricingPolicy.standard.terms(for: .none), invoiceNumber: number("2027/0001"), at: newYearInRome)
        #expect(acceptance.invoice.number == number("2027/0001"))
    }

    @Test("a quote that prices to zero has nothing to invoice")
    func zeroTotal() throws {
        var quote = try sentQuote(plan: .none)
        #expect(throws: LedgerError.nothingToInvoice) {
            try quote.accept(
                terms: QuoteTerms(plan: .none, rateCents: 0, discountPercent: 0, vatPercent: 22),
                invoiceNumber: number("2026/0001"), at: rome(2026, 1, 15, 12))
        }
    }

    @Test("the canonical text states exactly what is accepted")
    func canonicalText() throws {
        let acceptance = try accepted(plan: .monthly)
        #expect(acceptance.canonicalText == """
            follow-up quote v1
            quote: Q-1
            client: acme
            project: website
            plan: monthly
            rate: 60.00 EUR/h
            discount: 40%
            vat: 22%
            bonus: 0%
            contract: 12 months, cancellable from month 3, unused minutes carry over
            billing: one invoice per month; amounts are per invoice
            service 1: Social media
            service 1 minutes: 1200
            service 1 net: 720.00 EUR
            service 1 vat: 158.40 EUR
            service 1 total: 878.40 EUR
            minutes: 1200
            credited minutes: 1200
            net: 720.00 EUR
            vat: 158.40 EUR
            total: 878.40 EUR

            """)
    }

    @Test("one-time canonical text shows the bonus and the credited minutes")
    func canonicalTextOneTime() throws {
        let text = try accepted(plan: .oneTime).canonicalText
        #expect(text.contains("\nbonus: 10%\n"))
        #expect(text.contains("\ncontract: none\nbilling: one invoice\n"))
        #expect(text.contains("\ncredited minutes: 1320\n"))
        #expect(text.contains("\ntotal: 805.20 EUR\n"))
    }

    @Test("the canonical text is deterministic and changes with anything accepted")
    func canonicalTextSensitivity() throws {
        let terms = try PricingPolicy.standard.terms(for: .oneTime)
        let base = try sentQuote(plan: .oneTime)
        #expect(try base.canonicalText(terms: terms) == base.canonicalText(terms: terms))
        let more = try sentQuote(plan: .oneTime, services: [QuoteService(name: "Social media", minutes: 1201)])
        #expect(try more.canonicalText(terms: terms) != base.canonicalText(terms: terms))
        let other = try sentQuote(plan: .oneTime, id: "Q-2")
        #expect(try other.canonicalText(terms: terms) != base.canonicalText(terms: terms))
        let cheaper = QuoteTerms(plan: .oneTime, rateCents: 5000, discountPercent: 45, vatPercent: 22, bonusPercent: 10)
        #expect(try base.canonicalText(terms: cheaper) != base.canonicalText(terms: terms))
    }

    @Test("free text cannot forge a line of the canonical text")
    func canonicalTextEscaping() throws {
        let sneaky = try sentQuote(plan: .none, services: [QuoteService(name: "SEO\ntotal: 0.00 EUR 100%", minutes: 60)])
        let text = try sneaky.canonicalText(terms: PricingPolicy.standard.terms(for: .none))
        #expect(text.contains("\nservice 1: SEO%0Atotal: 0.00 EUR 100%25\n"))
        #expect(!text.contains("\ntotal: 0.00 EUR"))
    }

    @Test("a quote that is not accepted has no frozen terms to print")
    func canonicalTextNeedsTerms() throws {
        #expect(throws: LedgerError.termsNotFrozen) { try sentQuote(plan: .none).canonicalText() }
    }

    @Test("quotes survive a JSON round trip")
    func coding() throws {
        let quote = try accepted(plan: .monthly).quote
        let decoded = try JSONDecoder().decode(Quote.self, from: JSONEncoder().encode(quote))
        #expect(decoded == quote)
    }
}

@Suite("Ledger errors")
struct LedgerErrorTests {
    @Test("every error has its own stable code and a sentence for people")
    func codes() {
        let errors: [LedgerError] = [
            .overflow, .negativeMinutes(-1), .negativeRate(-1), .invalidPolicy("x"), .invalidCalendar("x"), .emptyQuote,
            .invalidService("x"), .invalidQuoteTransition(from: .draft, to: .accepted),
            .termsForAnotherPlan(terms: .none, quote: .monthly), .termsNotFrozen, .nothingToInvoice,
            .invoiceYearBehind(last: number("2026/0001"), year: 2025), .invoiceNumberYear(number("2025/0001"), issuedIn: 2026),
            .nonPositivePayment(0), .missingReference, .overpayment(outstanding: 1, offered: 2),
            .invoiceAlreadyPaid(number("2026/0001")), .invalidAmount(-1), .invalidVoucherCode, .voucherExhausted(code: "V"),
            .voucherOfAnotherClient(code: "V"), .minimumTermNotReached(minimumMonths: 3, currentMonth: 1),
            .contractMonthOutOfRange(month: 13, lastMonth: 12), .contractAlreadyCancelled, .zeroMinutes,
            .insufficientBalance(remaining: 10, requested: 20), .entryNotFound(1), .notReversible(1), .alreadyReversed(1),
            .missingReason, .disputeAlreadyResolved, .notAnHourEntry(1),
            .disputedMinutesOutOfRange(disputed: 0, logged: 60), .disputedAmountOutOfRange(disputed: 0, invoiceTotal: 100),
        ]
        #expect(Set(errors.map(\.code)).count == errors.count)
        #expect(errors.allSatisfy { !$0.description.isEmpty && $0.code.allSatisfy { $0.isLowercase || $0 == "_" } })
        #expect(LedgerError.overpayment(outstanding: 7840, offered: 7841).description == "payment of 78.41 EUR exceeds the outstanding 78.40 EUR")
        #expect(LedgerError.insufficientBalance(remaining: 30, requested: 45).description
            == "the project has 30 minutes left, 45 requested, and overage is not allowed")
    }
}
