/// Where a quote is in its life. Only `draft → sent → accepted | rejected | expired` exist;
/// the last three are final.
public enum QuoteState: String, Hashable, Sendable, Codable, CaseIterable {
    case draft, sent, accepted, rejected, expired

    public func canMove(to next: QuoteState) -> Bool {
        switch (self, next) {
        case (.draft, .sent), (.sent, .accepted), (.sent, .rejected), (.sent, .expired): true
        default: false
        }
    }

    public var isFinal: Bool { self == .accepted || self == .rejected || self == .expired }
}

/// One quoted service: work hours, kept as minutes. For a monthly plan these are the minutes of
/// each month.
public struct QuoteService: Hashable, Sendable, Codable {
    public let name: String
    public let minutes: Minutes

    public init(name: String, minutes: Minutes) {
        self.name = name
        self.minutes = minutes
    }
}

/// A project's quote: services in minutes, to be priced with the terms in force and sent to
/// the client for approval.
///
/// Transitions are mutating methods that either succeed or throw and leave the quote as it
/// was. Accepting freezes the ``QuoteTerms`` on the quote and issues the invoice (see
/// ``accept(terms:invoiceNumber:at:)``).
public struct Quote: Hashable, Sendable, Codable {
    public let id: String
    /// The client's slug.
    public let client: String
    public let project: String
    public let plan: Plan
    public let services: [QuoteService]
    public private(set) var state: QuoteState
    /// Frozen on acceptance; nil before.
    public private(set) var terms: QuoteTerms?
    public private(set) var sentAt: UnixTime?
    /// When it was accepted, rejected or expired.
    public private(set) var decidedAt: UnixTime?
    public private(set) var rejectionReason: String?

    /// A draft. Refuses a quote without services, a service without a name, or one with
    /// fewer than one minute.
    public init(id: String, client: String, project: String, plan: Plan, services: [QuoteService]) throws(LedgerError) {
        guard !services.isEmpty else { throw .emptyQuote }
        for service in services {
            if service.minutes < .zero { throw .negativeMinutes(service.minutes) }
            guard !isBlank(service.name), service.minutes > .zero else { throw .invalidService(service.name) }
        }
        self.id = id
        self.client = client
        self.project = project
        self.plan = plan
        self.services = services
        self.state = .draft
    }

    /// The quote priced with `terms`: one invoice line per service, each rounded once.
    public func pricing(with terms: QuoteTerms) throws(LedgerError) -> QuotePricing {
        guard terms.plan == plan else { throw .termsForAnotherPlan(terms: terms.plan, quote: plan) }
        var items: [InvoiceItem] = []
        for service in services {
            items.append(InvoiceItem(description: service.name, line: try terms.price(service.minutes)))
        }
        let minutes = try checkedSum(items.map(\.line.minutes.rawValue))
        return QuotePricing(
            items: items,
            minutes: Minutes(minutes),
            creditMinutes: try terms.creditedMinutes(for: Minutes(minutes)),
            net: Cents(try checkedSum(items.map(\.line.net.rawValue))),
            vat: Cents(try checkedSum(items.map(\.line.vat.rawValue))),
            total: Cents(try checkedSum(items.map(\.line.total.rawValue))))
    }

    /// draft → sent.
    public mutating func send(at time: UnixTime) throws(LedgerError) {
        try check(.sent)
        state = .sent
        sentAt = time
    }

    /// sent → accepted: freezes `terms` on the quote and issues its invoice, numbered
    /// `invoiceNumber` (whose year must be the Europe/Rome year of `time`). A monthly quote
    /// also starts its ``MonthlyContract`` in the month of `time`, and the invoice is month 1's.
    ///
    /// The result carries ``QuoteAcceptance/canonicalText``: hash it (SHA-256) and store the
    /// hash with who accepted and when, as the acceptance evidence.
    public mutating func accept(terms: QuoteTerms, invoiceNumber: InvoiceNumber, at time: UnixTime) throws(LedgerError) -> QuoteAcceptance {
        try check(.accepted)
        let pricing = try pricing(with: terms)
        let text = try canonicalText(terms: terms)
        var contract: MonthlyContract?
        if plan == .monthly {
            guard let contractTerms = terms.contract else { throw .invalidPolicy("monthly terms need contract terms") }
            contract = MonthlyContract(
                client: client, project: project, quote: id, services: services, terms: terms,
                contract: contractTerms, firstMonth: CivilMonth(CivilTimeZone.europeRome.local(time).date))
        }
        let invoice = try Invoice(
            number: invoiceNumber, client: client, project: project, quote: id, plan: plan,
            contractMonth: contract == nil ? nil : 1, issuedAt: time,
            items: pricing.items, credit: pricing.creditMinutes)

        var accepted = self
        accepted.state = .accepted
        accepted.terms = terms
        accepted.decidedAt = time
        self = accepted
        return QuoteAcceptance(quote: accepted, invoice: invoice, contract: contract, canonicalText: text)
    }

    /// sent → rejected, with the client's reason if it gave one.
    public mutating func reject(at time: UnixTime, reason: String? = nil) throws(LedgerError) {
        try check(.rejected)
        state = .rejected
        decidedAt = time
        rejectionReason = reason
    }

    /// sent → expired: the client never answered.
    public mutating func expire(at time: UnixTime) throws(LedgerError) {
        try check(.expired)
        state = .expired
        decidedAt = time
    }

    private func check(_ next: QuoteState) throws(LedgerError) {
        guard state.canMove(to: next) else { throw .invalidQuoteTransition(from: state, to: next) }
    }
}

/// A quote priced with some terms: what the client sees and what the invoice will say.
public struct QuotePricing: Hashable, Sendable, Codable {
    public let items: [InvoiceItem]
    /// Quoted minutes (per month, for a monthly plan).
    public let minutes: Minutes
    /// Minutes credited when the invoice is paid: quoted minutes plus any bonus.
    public let creditMinutes: Minutes
    public let net: Cents
    public let vat: Cents
    public let total: Cents
}

/// Everything accepting a quote produces; the caller stores it in one transaction.
public struct QuoteAcceptance: Hashable, Sendable {
    /// The quote, now accepted, with its terms frozen.
    public let quote: Quote
    /// The invoice for the quoted minutes (month 1 for a monthly plan).
    public let invoice: Invoice
    /// The monthly contract, for a monthly plan.
    public let contract: MonthlyContract?
    /// The exact text accepted; see ``Quote/canonicalText(terms:)``.
    public let canonicalText: String
}

/// Sum of non-negative amounts, or ``LedgerError/overflow``.
func checkedSum(_ values: [Int64]) throws(LedgerError) -> Int64 {
    var total: Int64 = 0
    for value in values {
        let (next, overflow) = total.addingReportingOverflow(value)
        guard !overflow else { throw .overflow }
        total = next
    }
    return total
}

/// Empty or only whitespace.
func isBlank(_ text: String) -> Bool { text.allSatisfy(\.isWhitespace) }
