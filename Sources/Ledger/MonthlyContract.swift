/// One month of a monthly contract, in Europe/Rome civil time.
public struct ContractMonth: Hashable, Sendable, Codable {
    /// 1-based position in the contract.
    public let index: Int
    public let month: CivilMonth
    /// Midnight of the 1st, Europe/Rome.
    public let starts: UnixTime
    /// Midnight of the 1st of the next month: the first instant not in this month.
    public let ends: UnixTime
}

/// An accepted monthly quote: an annual (by default) contract billed with one invoice per
/// month, each crediting that month's minutes when paid.
///
/// Months are calendar months in Europe/Rome, starting with the month of acceptance.
/// Cancelling is allowed from month ``ContractTerms/minimumMonths`` on and takes effect at the
/// end of the month in which it is asked: the contract then has that many billable months.
public struct MonthlyContract: Hashable, Sendable, Codable {
    public let client: String
    public let project: String
    /// Id of the accepted quote.
    public let quote: String
    /// The services billed every month.
    public let services: [QuoteService]
    /// Frozen on acceptance.
    public let terms: QuoteTerms
    public let contract: ContractTerms
    public let firstMonth: CivilMonth
    /// The last billable month: ``ContractTerms/months``, or the month of cancellation.
    public private(set) var lastMonth: Int
    public private(set) var cancelledAt: UnixTime?

    public init(
        client: String, project: String, quote: String, services: [QuoteService], terms: QuoteTerms,
        contract: ContractTerms, firstMonth: CivilMonth, lastMonth: Int? = nil, cancelledAt: UnixTime? = nil
    ) {
        self.client = client
        self.project = project
        self.quote = quote
        self.services = services
        self.terms = terms
        self.contract = contract
        self.firstMonth = firstMonth
        self.lastMonth = lastMonth ?? contract.months
        self.cancelledAt = cancelledAt
    }

    private static let zone = CivilTimeZone.europeRome

    /// The month at `index` (1-based), whether or not it is still billable.
    public func month(_ index: Int) -> ContractMonth {
        let month = firstMonth.adding(months: index - 1)
        return ContractMonth(
            index: index, month: month,
            starts: Self.zone.instant(month.firstDay, .midnight),
            ends: Self.zone.instant(month.adding(months: 1).firstDay, .midnight))
    }

    /// The billable months, one invoice each: 1...``lastMonth``.
    public var schedule: [ContractMonth] { (1...max(lastMonth, 1)).map(month) }

    /// The 1-based contract month containing `time` (counting on past the end: 13, 14, …),
    /// or 0 before the contract started.
    public func monthIndex(at time: UnixTime) -> Int {
        max(0, firstMonth.months(until: CivilMonth(Self.zone.local(time).date)) + 1)
    }

    /// Cancels the contract at the end of the current month, which becomes the last billable
    /// one. Refused before month ``ContractTerms/minimumMonths``
    /// (``LedgerError/minimumTermNotReached(minimumMonths:currentMonth:)``), after the contract
    /// has ended, and twice.
    @discardableResult
    public mutating func cancel(at time: UnixTime) throws(LedgerError) -> ContractMonth {
        guard cancelledAt == nil else { throw .contractAlreadyCancelled }
        let current = monthIndex(at: time)
        guard current >= contract.minimumMonths else {
            throw .minimumTermNotReached(minimumMonths: contract.minimumMonths, currentMonth: current)
        }
        guard current <= lastMonth else { throw .contractMonthOutOfRange(month: current, lastMonth: lastMonth) }
        lastMonth = current
        cancelledAt = time
        return month(current)
    }

    /// The invoice of billable month `index`, priced with the frozen terms. Numbering (and
    /// making sure each month is invoiced once) is the caller's, as for any invoice; month 1's
    /// invoice is issued with the acceptance.
    public func invoice(month index: Int, number: InvoiceNumber, at time: UnixTime) throws(LedgerError) -> Invoice {
        guard index >= 1, index <= lastMonth else { throw .contractMonthOutOfRange(month: index, lastMonth: lastMonth) }
        var items: [InvoiceItem] = []
        for service in services {
            items.append(InvoiceItem(description: service.name, line: try terms.price(service.minutes)))
        }
        let minutes = Minutes(try checkedSum(services.map(\.minutes.rawValue)))
        return try Invoice(
            number: number, client: client, project: project, quote: quote, plan: .monthly,
            contractMonth: index, issuedAt: time, items: items, credit: try terms.creditedMinutes(for: minutes))
    }

    /// Minutes that expire at the end of month `index`, given the project's `remaining` balance
    /// then and the minutes already credited for later months (months paid in advance).
    ///
    /// With carry-over, unused minutes roll on and expire only at the end of the last month;
    /// without it they expire at the end of every month. Minutes paid for later months never
    /// expire early. Append a non-zero result as ``LedgerEntryKind/expiry(minutes:contractMonth:)``.
    public func expiringMinutes(atEndOf index: Int, remaining: Minutes, creditedForLaterMonths: Minutes) -> Minutes {
        guard index >= lastMonth || !contract.carryOver else { return .zero }
        return max(.zero, remaining - creditedForLaterMonths)
    }
}
