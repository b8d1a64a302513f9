/// One entry of a client's append-only ledger.
///
/// Entries are never edited or deleted: a mistake is fixed by a reversing entry
/// (``reversal(of:in:reason:sequence:at:)``). `sequence` numbers a client's entries 1, 2, 3 …
/// without gaps (the catalog assigns it in the inserting transaction), and each entry is
/// hash-chained to the previous one of the same client (see ``HashChain``).
public struct LedgerEntry: Hashable, Sendable, Codable {
    /// Position in the client's ledger, from 1.
    public let sequence: Int64
    /// The client's slug.
    public let client: String
    public let project: String
    public let at: UnixTime
    public let kind: LedgerEntryKind

    public init(sequence: Int64, client: String, project: String, at: UnixTime, kind: LedgerEntryKind) {
        self.sequence = sequence
        self.client = client
        self.project = project
        self.at = at
        self.kind = kind
    }
}

/// What an entry records.
public enum LedgerEntryKind: Hashable, Sendable, Codable {
    /// A paid invoice credits minutes to the project.
    case credit(minutes: Minutes, invoice: InvoiceNumber)
    /// Logged work debits the project.
    case debit(HourEntry)
    /// Unused minutes of a monthly contract lapse at a month's end (see
    /// ``MonthlyContract/expiringMinutes(atEndOf:remaining:creditedForLaterMonths:)``).
    case expiry(minutes: Minutes, contractMonth: Int)
    /// Undoes the minutes of an earlier credit, debit or expiry.
    case reversal(Reversal)
    /// A justified dispute issued a voucher.
    case voucherIssued(code: String, amount: Cents, dispute: String)
    /// A voucher was deducted from an invoice.
    case voucherApplied(code: String, amount: Cents, invoice: InvoiceNumber)

    /// The kind's name in the canonical encoding and in listings.
    public var name: String {
        switch self {
        case .credit: "credit"
        case .debit: "debit"
        case .expiry: "expiry"
        case .reversal: "reversal"
        case .voucherIssued: "voucher-issued"
        case .voucherApplied: "voucher-applied"
        }
    }
}

/// Work logged by staff: minutes of a service, on a project phase, with a note.
public struct HourEntry: Hashable, Sendable, Codable {
    public let minutes: Minutes
    public let service: String
    public let phase: String?
    public let note: String
    /// Who logged it (user name or token name).
    public let staff: String
    /// The part of `minutes` beyond the project's balance when it was logged; zero unless the
    /// project allows overage.
    public let overage: Minutes

    public init(minutes: Minutes, service: String, phase: String?, note: String, staff: String, overage: Minutes = .zero) {
        self.minutes = minutes
        self.service = service
        self.phase = phase
        self.note = note
        self.staff = staff
        self.overage = overage
    }

    /// The entry went beyond the balance.
    public var isOverage: Bool { overage > .zero }
}

/// The entries that move minutes, and so can be reversed.
public enum ReversibleKind: String, Hashable, Sendable, Codable {
    case credit, debit, expiry
}

/// A reversing entry: names the entry it undoes and copies its minutes, so folding a ledger
/// never needs to look an entry up.
public struct Reversal: Hashable, Sendable, Codable {
    /// Sequence of the reversed entry.
    public let entry: Int64
    public let reversed: ReversibleKind
    public let minutes: Minutes
    public let reason: String

    public init(entry: Int64, reversed: ReversibleKind, minutes: Minutes, reason: String) {
        self.entry = entry
        self.reversed = reversed
        self.minutes = minutes
        self.reason = reason
    }
}

extension LedgerEntry {
    /// The entry reversing entry `target` of `history` (the client's ledger so far), in the
    /// same project. Refused for an unknown entry, an entry that moves no minutes (vouchers,
    /// reversals: log the work again instead of reversing a reversal), an entry already
    /// reversed, and without a reason.
    public static func reversal(
        of target: Int64, in history: some Sequence<LedgerEntry>, reason: String, sequence: Int64, at time: UnixTime
    ) throws(LedgerError) -> LedgerEntry {
        guard !isBlank(reason) else { throw .missingReason }
        var original: LedgerEntry?
        var reversed = false
        for entry in history {
            if entry.sequence == target { original = entry }
            if case .reversal(let reversal) = entry.kind, reversal.entry == target { reversed = true }
        }
        guard let original else { throw .entryNotFound(target) }
        guard !reversed else { throw .alreadyReversed(target) }
        let kind: ReversibleKind
        let minutes: Minutes
        switch original.kind {
        case .credit(let credited, _): (kind, minutes) = (.credit, credited)
        case .debit(let hours): (kind, minutes) = (.debit, hours.minutes)
        case .expiry(let expired, _): (kind, minutes) = (.expiry, expired)
        case .reversal, .voucherIssued, .voucherApplied: throw .notReversible(target)
        }
        return LedgerEntry(
            sequence: sequence, client: original.client, project: original.project, at: time,
            kind: .reversal(Reversal(entry: target, reversed: kind, minutes: minutes, reason: reason)))
    }
}
