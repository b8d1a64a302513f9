/// A client's prepaid-hours plan, as the service sheet defines them.
///
/// Discounts and the bonus are configuration, not constants here: the values in force are
/// frozen on each quote, so a later change never reprices an accepted one.
public enum Plan: String, Hashable, Sendable, Codable, CaseIterable {
    /// Hours quoted and billed at the full rate.
    case none
    /// Billed and paid monthly, annual contract, minimum three months.
    case monthly
    /// One payment for all the hours, plus bonus hours.
    case oneTime = "one-time"

    /// Extra minutes credited when `minutes` are paid: `bonusPercent` of them, rounded
    /// down to the minute, for one-time plans; zero for the others.
    public func bonusMinutes(for minutes: Minutes, bonusPercent: Percent) throws(LedgerError) -> Minutes {
        guard minutes.rawValue >= 0 else { throw .negativeMinutes(minutes) }
        guard self == .oneTime else { return .zero }
        // floor(m × p / 100) split as m = 100a + b, so no intermediate can overflow.
        let (hundreds, rest) = minutes.rawValue.quotientAndRemainder(dividingBy: 100)
        return Minutes(hundreds * bonusPercent.rawValue + rest * bonusPercent.rawValue / 100)
    }

    /// The minutes a full payment credits: the paid minutes plus ``bonusMinutes(for:bonusPercent:)``.
    public func creditedMinutes(for minutes: Minutes, bonusPercent: Percent) throws(LedgerError) -> Minutes {
        let bonus = try bonusMinutes(for: minutes, bonusPercent: bonusPercent)
        let (credited, overflow) = minutes.rawValue.addingReportingOverflow(bonus.rawValue)
        guard !overflow else { throw .overflow }
        return Minutes(credited)
    }
}
