import Ledger

extension FollowUpConfiguration {
    /// Prices, discounts, bonus, VAT, contract and alert settings as the ledger's policy.
    public var pricingPolicy: PricingPolicy {
        PricingPolicy(
            hourlyRate: Cents(Int64(hourlyRateCents)),
            monthlyDiscount: Percent(rawValue: Int64(monthlyDiscountPercent)) ?? 40,
            oneTimeDiscount: Percent(rawValue: Int64(oneTimeDiscountPercent)) ?? 45,
            oneTimeBonus: Percent(rawValue: Int64(oneTimeBonusPercent)) ?? 10,
            vat: Percent(rawValue: Int64(vatPercent)) ?? 22,
            minimumMonths: monthlyMinimumMonths,
            carryOverUnusedMinutes: monthlyCarryOver,
            alertThresholds: budgetThresholdsPercent.compactMap { Percent(rawValue: Int64($0)) })
    }
}

extension FollowUpConfiguration {
    /// First-response targets: monthly on the Italian office calendar, one-time 24/7 at top priority.
    public var supportPolicy: SupportPolicy {
        let monthly = Minutes(Int64(monthlyResponseWorkingMinutes))
        return SupportPolicy(
            monthly: SupportTerms(calendar: .workingHours(.italianOffice), firstResponse: monthly, priority: .standard),
            oneTime: SupportTerms(calendar: .always, firstResponse: Minutes(Int64(oneTimeResponseMinutes)), priority: .top),
            noPlan: SupportTerms(calendar: .workingHours(.italianOffice), firstResponse: monthly, priority: .low))
    }
}
