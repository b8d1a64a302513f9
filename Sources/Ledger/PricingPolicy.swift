/// The commercial rules in force, as configured: list rate, plan discounts, bonus, VAT,
/// monthly contract length, carry-over and budget-alert thresholds.
///
/// A policy is read from configuration at startup and handed to the rules; nothing in the
/// ledger has a price constant of its own. What a quote is accepted with is copied into
/// ``QuoteTerms`` and frozen there, so changing the policy never reprices an accepted quote.
public struct PricingPolicy: Hashable, Sendable, Codable {
    /// List price per hour for clients without their own rate.
    public var hourlyRate: Cents
    /// Discount of the `none` plan (list price: 0%).
    public var noPlanDiscount: Percent
    public var monthlyDiscount: Percent
    public var oneTimeDiscount: Percent
    /// Bonus minutes credited with a paid one-time invoice, as a share of the paid minutes.
    public var oneTimeBonus: Percent
    public var vat: Percent
    /// Length of a monthly contract, in monthly invoices.
    public var contractMonths: Int
    /// A monthly contract can be cancelled only from this month on.
    public var minimumMonths: Int
    /// Whether a monthly contract's unused minutes roll into the next month (within the
    /// contract) instead of expiring at the end of each month.
    public var carryOverUnusedMinutes: Bool
    /// Shares of a project's credited minutes whose crossing by a debit raises an alert.
    public var alertThresholds: [Percent]

    /// The design's defaults: 60.00 EUR/h, 40% monthly, 45% + 10% bonus one-time, 22% VAT,
    /// 12-month contracts with a 3-month minimum, carry-over on, alerts at 80% and 100%.
    public init(
        hourlyRate: Cents = 6000,
        noPlanDiscount: Percent = 0,
        monthlyDiscount: Percent = 40,
        oneTimeDiscount: Percent = 45,
        oneTimeBonus: Percent = 10,
        vat: Percent = 22,
        contractMonths: Int = 12,
        minimumMonths: Int = 3,
        carryOverUnusedMinutes: Bool = true,
        alertThresholds: [Percent] = [80, 100]
    ) {
        self.hourlyRate = hourlyRate
        self.noPlanDiscount = noPlanDiscount
        self.monthlyDiscount = monthlyDiscount
        self.oneTimeDiscount = oneTimeDiscount
        self.oneTimeBonus = oneTimeBonus
        self.vat = vat
        self.contractMonths = contractMonths
        self.minimumMonths = minimumMonths
        self.carryOverUnusedMinutes = carryOverUnusedMinutes
        self.alertThresholds = alertThresholds
    }

    /// The defaults; see ``init(hourlyRate:noPlanDiscount:monthlyDiscount:oneTimeDiscount:oneTimeBonus:vat:contractMonths:minimumMonths:carryOverUnusedMinutes:alertThresholds:)``.
    public static let standard = PricingPolicy()

    public func discount(for plan: Plan) -> Percent {
        switch plan {
        case .none: noPlanDiscount
        case .monthly: monthlyDiscount
        case .oneTime: oneTimeDiscount
        }
    }

    /// Checks what types alone cannot: a non-negative rate, 1 ≤ minimum ≤ contract months
    /// (at most 120), thresholds within 1...100. Call it once when loading configuration.
    public func validate() throws(LedgerError) {
        guard hourlyRate >= .zero else { throw .invalidPolicy("the hourly rate must not be negative") }
        guard (1...120).contains(contractMonths) else { throw .invalidPolicy("a contract lasts 1...120 months") }
        guard (1...contractMonths).contains(minimumMonths) else {
            throw .invalidPolicy("the minimum months must be 1...\(contractMonths)")
        }
        guard alertThresholds.allSatisfy({ $0.rawValue >= 1 }) else {
            throw .invalidPolicy("alert thresholds must be 1...100%")
        }
    }

    /// The terms a quote for `plan` is priced with now: the client's own rate if it has one,
    /// else the list rate, and the plan's discount, bonus and contract terms.
    public func terms(for plan: Plan, clientRate: Cents? = nil) throws(LedgerError) -> QuoteTerms {
        try validate()
        let rate = clientRate ?? hourlyRate
        guard rate >= .zero else { throw .negativeRate(rate) }
        return QuoteTerms(
            plan: plan,
            rateCents: rate,
            discountPercent: discount(for: plan),
            vatPercent: vat,
            bonusPercent: plan == .oneTime ? oneTimeBonus : 0,
            contract: plan == .monthly
                ? ContractTerms(months: contractMonths, minimumMonths: minimumMonths, carryOver: carryOverUnusedMinutes)
                : nil)
    }
}

/// The commercial terms of one quote, copied from the ``PricingPolicy`` when it is accepted
/// and never recomputed: later policy changes do not reprice it.
public struct QuoteTerms: Hashable, Sendable, Codable {
    public let plan: Plan
    /// Cents per hour, before the discount.
    public let rateCents: Cents
    public let discountPercent: Percent
    public let vatPercent: Percent
    /// Bonus minutes on payment, as a share of the paid minutes; 0 unless one-time.
    public let bonusPercent: Percent
    /// Present for, and only for, monthly plans.
    public let contract: ContractTerms?

    public init(
        plan: Plan, rateCents: Cents, discountPercent: Percent, vatPercent: Percent,
        bonusPercent: Percent = 0, contract: ContractTerms? = nil
    ) {
        self.plan = plan
        self.rateCents = rateCents
        self.discountPercent = discountPercent
        self.vatPercent = vatPercent
        self.bonusPercent = bonusPercent
        self.contract = contract
    }

    /// Prices `minutes` with these terms, through the one rounding rule.
    public func price(_ minutes: Minutes) throws(LedgerError) -> InvoiceLine {
        try InvoiceLine.price(
            minutes: minutes, rateCents: rateCents, discountPercent: discountPercent, vatPercent: vatPercent)
    }

    /// The minutes a full payment of `minutes` credits (paid minutes + bonus for one-time plans).
    public func creditedMinutes(for minutes: Minutes) throws(LedgerError) -> Minutes {
        try plan.creditedMinutes(for: minutes, bonusPercent: bonusPercent)
    }
}

/// The contract part of monthly terms.
public struct ContractTerms: Hashable, Sendable, Codable {
    /// Monthly invoices in the contract (12: an annual contract).
    public let months: Int
    /// The first month in which the contract can be cancelled.
    public let minimumMonths: Int
    /// Unused minutes roll into the next month until the contract ends.
    public let carryOver: Bool

    public init(months: Int, minimumMonths: Int, carryOver: Bool) {
        self.months = months
        self.minimumMonths = minimumMonths
        self.carryOver = carryOver
    }
}
