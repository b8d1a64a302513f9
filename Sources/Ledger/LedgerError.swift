/// Why the ledger refused a computation.
public enum LedgerError: Error, Hashable, Sendable {
    /// An intermediate product or sum does not fit in 64 bits: the input is corrupt or absurd.
    case overflow
    /// Minutes to price or credit are negative; a correction is a reversing entry, not negative work.
    case negativeMinutes(Minutes)
    /// An hourly rate is negative.
    case negativeRate(Cents)
}

extension LedgerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .overflow:
            "amount too large to compute exactly; check the minutes and the rate"
        case .negativeMinutes(let minutes):
            "minutes must not be negative (got \(minutes.rawValue)); record a reversing entry instead"
        case .negativeRate(let rate):
            "hourly rate must not be negative (got \(rate) EUR)"
        }
    }
}
