/// A project's minutes: credited by paid invoices, used by hour entries, expired at month ends,
/// each net of reversals. Computed by folding the ledger, never stored as truth.
public struct ProjectBalance: Hashable, Sendable, Codable {
    public private(set) var credited: Minutes
    public private(set) var used: Minutes
    public private(set) var expired: Minutes

    /// `credited − used − expired`; negative after overage.
    public var remaining: Minutes { credited - used - expired }

    public init(credited: Minutes = .zero, used: Minutes = .zero, expired: Minutes = .zero) {
        self.credited = credited
        self.used = used
        self.expired = expired
    }

    /// The balance of `project` after `entries` (a client's ledger, any order).
    public init(project: String, entries: some Sequence<LedgerEntry>) {
        self.init()
        for entry in entries where entry.project == project {
            apply(entry.kind)
        }
    }

    /// Folds one entry in. Voucher entries move money, not minutes, and change nothing here.
    public mutating func apply(_ kind: LedgerEntryKind) {
        switch kind {
        case .credit(let minutes, _): credited += minutes
        case .debit(let hours): used += hours.minutes
        case .expiry(let minutes, _): expired += minutes
        case .reversal(let reversal):
            switch reversal.reversed {
            case .credit: credited -= reversal.minutes
            case .debit: used -= reversal.minutes
            case .expiry: expired -= reversal.minutes
            }
        case .voucherIssued, .voucherApplied: break
        }
    }

    /// Decides an hour entry against this balance.
    ///
    /// A debit beyond the remaining minutes is refused with
    /// ``LedgerError/insufficientBalance(remaining:requested:)`` unless the project allows
    /// overage; then it is accepted with the excess recorded as ``HourEntry/overage``. The
    /// result also says which budget-alert thresholds this debit crossed.
    public func debit(_ log: HourLog, allowOverage: Bool, alertThresholds: [Percent]) throws(LedgerError) -> HourDebit {
        if log.minutes < .zero { throw .negativeMinutes(log.minutes) }
        guard log.minutes > .zero else { throw .zeroMinutes }
        guard !isBlank(log.service) else { throw .invalidService(log.service) }
        let (newUsed, overflow) = used.rawValue.addingReportingOverflow(log.minutes.rawValue)
        guard !overflow else { throw .overflow }

        let available = max(remaining, .zero)
        var overage = Minutes.zero
        if log.minutes > available {
            guard allowOverage else { throw .insufficientBalance(remaining: remaining, requested: log.minutes) }
            overage = log.minutes - available
        }
        let entry = HourEntry(
            minutes: log.minutes, service: log.service, phase: log.phase, note: log.note, staff: log.staff,
            overage: overage)
        let after = ProjectBalance(credited: credited, used: Minutes(newUsed), expired: expired)
        return HourDebit(
            entry: entry, balance: after,
            alerts: BudgetAlert.crossed(from: self, to: after, thresholds: alertThresholds))
    }
}

/// Work to log: what staff type in.
public struct HourLog: Hashable, Sendable, Codable {
    public let minutes: Minutes
    public let service: String
    public let phase: String?
    public let note: String
    public let staff: String

    public init(minutes: Minutes, service: String, phase: String? = nil, note: String = "", staff: String) {
        self.minutes = minutes
        self.service = service
        self.phase = phase
        self.note = note
        self.staff = staff
    }
}

/// An accepted hour entry and its consequences.
public struct HourDebit: Hashable, Sendable {
    public let entry: HourEntry
    /// The project's balance once the entry is appended.
    public let balance: ProjectBalance
    /// Thresholds this debit crossed, ascending: raise one alert each.
    public let alerts: [Percent]

    /// The ledger entry to append.
    public var kind: LedgerEntryKind { .debit(entry) }
}

/// Budget alerts: used minutes reaching a share of the credited minutes.
public enum BudgetAlert {
    /// The thresholds that the move from `before` to `after` crossed upwards: those with
    /// `used < t% of credited` before and `used ≥ t% of credited` after, ascending, each once.
    ///
    /// Exact integer comparison (no rounding: 80% of 1001 minutes is crossed at 801). While
    /// usage only rises each threshold is crossed once; if a reversal or a new credit brings
    /// usage back below it, reaching it again is a new crossing. Nothing is credited, nothing is
    /// budgeted: with zero credited minutes no threshold is ever crossed.
    public static func crossed(from before: ProjectBalance, to after: ProjectBalance, thresholds: [Percent]) -> [Percent] {
        func reached(_ balance: ProjectBalance, _ threshold: Percent) -> Bool {
            balance.credited > .zero
                && Int128(balance.used.rawValue) * 100 >= Int128(threshold.rawValue) * Int128(balance.credited.rawValue)
        }
        return Set(thresholds).filter { !reached(before, $0) && reached(after, $0) }.sorted()
    }
}
