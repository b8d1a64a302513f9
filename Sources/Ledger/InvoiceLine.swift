/// One priced line of a quote or invoice: minutes at an hourly rate, less the plan
/// discount, plus VAT shown separately.
///
/// The only way to build a line is ``price(minutes:rateCents:discountPercent:vatPercent:)``,
/// so every line in the system went through the one rounding rule.
public struct InvoiceLine: Hashable, Sendable {
    public let minutes: Minutes
    /// Cents per hour, frozen on the quote when it was accepted.
    public let rateCents: Cents
    public let discountPercent: Percent
    public let vatPercent: Percent
    /// Price after discount, before VAT.
    public let net: Cents
    public let vat: Cents
    /// `net + vat`.
    public let total: Cents

    /// The list price, before the discount, by the same rule (a 0% discount).
    public var list: Cents {
        (try? InvoiceLine.price(minutes: minutes, rateCents: rateCents, discountPercent: 0, vatPercent: 0).net) ?? net
    }

    /// What the discount took off the list price.
    public var discount: Cents { list - net }

    /// The single named rounding rule of the ledger, integer arithmetic only:
    ///
    ///     net   = half-up(minutes × rate × (100 − discount) / (60 × 100))
    ///     vat   = half-up(net × vat / 100)
    ///     total = net + vat
    ///
    /// Rounding once per line, at the end, means a quote, its invoice and the ledger can
    /// never disagree by a cent. Throws ``LedgerError/overflow`` instead of wrapping or
    /// trapping when minutes × rate × (100 − discount) does not fit in 64 bits.
    public static func price(
        minutes: Minutes,
        rateCents: Cents,
        discountPercent: Percent,
        vatPercent: Percent
    ) throws(LedgerError) -> InvoiceLine {
        guard minutes.rawValue >= 0 else { throw .negativeMinutes(minutes) }
        guard rateCents.rawValue >= 0 else { throw .negativeRate(rateCents) }

        let discounted = try product(minutes.rawValue, rateCents.rawValue, 100 - discountPercent.rawValue)
        let net = halfUp(discounted, dividedBy: 60 * 100)
        // net ≤ Int64.max / 6000, so net × 100 and net + vat cannot overflow.
        let vat = halfUp(net * vatPercent.rawValue, dividedBy: 100)
        let total = net + vat

        return InvoiceLine(
            minutes: minutes, rateCents: rateCents,
            discountPercent: discountPercent, vatPercent: vatPercent,
            net: Cents(net), vat: Cents(vat), total: Cents(total)
        )
    }

    private init(
        minutes: Minutes, rateCents: Cents, discountPercent: Percent, vatPercent: Percent,
        net: Cents, vat: Cents, total: Cents
    ) {
        self.minutes = minutes
        self.rateCents = rateCents
        self.discountPercent = discountPercent
        self.vatPercent = vatPercent
        self.net = net
        self.vat = vat
        self.total = total
    }
}

/// The product of non-negative factors, or ``LedgerError/overflow``. A zero factor makes
/// the product zero even when the others alone would overflow (a 100% discount).
private func product(_ factors: Int64...) throws(LedgerError) -> Int64 {
    if factors.contains(0) { return 0 }
    var result: Int64 = 1
    for factor in factors {
        let (next, overflow) = result.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw .overflow }
        result = next
    }
    return result
}

/// `numerator / denominator` rounded to the nearest integer, halves up, for a non-negative
/// numerator and a small positive denominator. Compares the remainder instead of adding
/// half the denominator first, so it cannot overflow.
private func halfUp(_ numerator: Int64, dividedBy denominator: Int64) -> Int64 {
    let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
    return remainder * 2 >= denominator ? quotient + 1 : quotient
}
