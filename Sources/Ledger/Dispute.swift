/// What a client disputes.
public enum DisputeSubject: Hashable, Sendable, Codable {
    /// Some or all minutes of an hour entry (ledger entry `sequence`), valued with the terms
    /// frozen on the project's quote.
    case hourEntry(sequence: Int64, minutes: Minutes, terms: QuoteTerms)
    /// An amount of an invoice.
    case invoice(number: InvoiceNumber, amount: Cents)
}

/// Where a dispute is: `open → justified | rejected`. Nothing is ever deleted.
public enum DisputeState: Hashable, Sendable, Codable {
    case open
    /// Resolved for the client: a voucher of the disputed value was issued.
    case justified(voucher: String)
    case rejected
}

/// A client's dispute of an hour entry or an invoice, with a reason (the service's
/// satisfaction guarantee: disputes backed by valid reasons are refunded as vouchers).
public struct Dispute: Hashable, Sendable, Codable {
    public let id: String
    public let client: String
    public let project: String
    public let subject: DisputeSubject
    public let reason: String
    public let openedAt: UnixTime
    /// What a justified dispute refunds: for an hour entry, the disputed minutes priced as an
    /// invoice line with the frozen rate, discount and VAT (the line total, VAT included, since
    /// that is what the client paid); for an invoice, the disputed amount.
    public let value: Cents
    public private(set) var state: DisputeState
    public private(set) var resolvedAt: UnixTime?
    /// Staff's reason for the resolution (required to reject).
    public private(set) var resolution: String?

    /// Disputes hour entry `entry` (a debit) of the client's ledger: `minutes` of it, all of it
    /// by default.
    public static func open(
        id: String, hourEntry entry: LedgerEntry, minutes: Minutes? = nil, terms: QuoteTerms, reason: String,
        at time: UnixTime
    ) throws(LedgerError) -> Dispute {
        guard case .debit(let hours) = entry.kind else { throw .notAnHourEntry(entry.sequence) }
        let disputed = minutes ?? hours.minutes
        guard disputed > .zero, disputed <= hours.minutes else {
            throw .disputedMinutesOutOfRange(disputed: disputed, logged: hours.minutes)
        }
        let value = try terms.price(disputed).total
        return try Dispute(
            id: id, client: entry.client, project: entry.project,
            subject: .hourEntry(sequence: entry.sequence, minutes: disputed, terms: terms),
            reason: reason, openedAt: time, value: value)
    }

    /// Disputes `amount` of an invoice, all of it by default.
    public static func open(
        id: String, invoice: Invoice, amount: Cents? = nil, reason: String, at time: UnixTime
    ) throws(LedgerError) -> Dispute {
        let disputed = amount ?? invoice.total
        guard disputed > .zero, disputed <= invoice.total else {
            throw .disputedAmountOutOfRange(disputed: disputed, invoiceTotal: invoice.total)
        }
        return try Dispute(
            id: id, client: invoice.client, project: invoice.project,
            subject: .invoice(number: invoice.number, amount: disputed),
            reason: reason, openedAt: time, value: disputed)
    }

    private init(
        id: String, client: String, project: String, subject: DisputeSubject, reason: String, openedAt: UnixTime,
        value: Cents
    ) throws(LedgerError) {
        guard !isBlank(reason) else { throw .missingReason }
        self.id = id
        self.client = client
        self.project = project
        self.subject = subject
        self.reason = reason
        self.openedAt = openedAt
        self.value = value
        self.state = .open
    }

    /// open → justified: issues a voucher worth ``value`` under `voucherCode` (random, from the
    /// caller). Append ``Voucher/issuedEntry`` to the ledger with it.
    public mutating func justify(voucherCode: String, at time: UnixTime, note: String? = nil) throws(LedgerError) -> Voucher {
        guard state == .open else { throw .disputeAlreadyResolved }
        let voucher = try Voucher(code: voucherCode, client: client, amount: value, dispute: id, issuedAt: time)
        state = .justified(voucher: voucherCode)
        resolvedAt = time
        resolution = note
        return voucher
    }

    /// open → rejected, with staff's reason.
    public mutating func reject(reason: String, at time: UnixTime) throws(LedgerError) {
        guard state == .open else { throw .disputeAlreadyResolved }
        guard !isBlank(reason) else { throw .missingReason }
        state = .rejected
        resolvedAt = time
        resolution = reason
    }
}

/// Credit in money from a justified dispute, deducted from later invoices of the same client
/// (``Invoice/apply(_:at:)``) until used up.
public struct Voucher: Hashable, Sendable, Codable {
    /// Random, chosen by the caller; what the client quotes.
    public let code: String
    public let client: String
    /// Value at issue.
    public let amount: Cents
    /// Value not yet deducted.
    public private(set) var remaining: Cents
    /// Id of the dispute that issued it.
    public let dispute: String
    public let issuedAt: UnixTime

    /// A new voucher (`remaining == amount`), or one restored from storage.
    public init(
        code: String, client: String, amount: Cents, remaining: Cents? = nil, dispute: String, issuedAt: UnixTime
    ) throws(LedgerError) {
        guard !isBlank(code) else { throw .invalidVoucherCode }
        guard amount >= .zero else { throw .invalidAmount(amount) }
        let remaining = remaining ?? amount
        guard remaining >= .zero, remaining <= amount else { throw .invalidAmount(remaining) }
        self.code = code
        self.client = client
        self.amount = amount
        self.remaining = remaining
        self.dispute = dispute
        self.issuedAt = issuedAt
    }

    /// The ledger entry recording the issue.
    public var issuedEntry: LedgerEntryKind { .voucherIssued(code: code, amount: amount, dispute: dispute) }

    private enum CodingKeys: String, CodingKey {
        case code, client, amount, remaining, dispute, issuedAt
    }

    /// Decodes through the validating initializer: an empty code or a remainder outside
    /// 0...amount does not decode.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            code: container.decode(String.self, forKey: .code),
            client: container.decode(String.self, forKey: .client),
            amount: container.decode(Cents.self, forKey: .amount),
            remaining: container.decode(Cents.self, forKey: .remaining),
            dispute: container.decode(String.self, forKey: .dispute),
            issuedAt: container.decode(UnixTime.self, forKey: .issuedAt))
    }

    mutating func redeem(_ value: Cents) {
        precondition(value <= remaining)
        remaining -= value
    }
}
