import Foundation
import Ledger
import SQLKit

extension Catalog {
    // MARK: Instance API: one transaction each

    /// Opens dispute "D<n>" on hour entry `sequence` of the client's ledger, for `minutes` of
    /// it (all by default).
    ///
    /// Its value is those minutes priced (VAT included) at the terms frozen on the **latest
    /// accepted quote of the entry's project** (latest acceptance; ties by quote number) —
    /// the terms the client currently pays that project's hours at. A project without an
    /// accepted quote falls back to `policy.terms(for: client's plan, clientRate: client's rate)`.
    ///
    /// The domain refuses a blank reason, an entry that is not a debit and minutes out of
    /// range; the catalog adds `LedgerError.entryNotFound` for an unknown sequence,
    /// `LedgerError.alreadyReversed` for a reversed entry (nothing is charged for it) and
    /// `.conflict` while another dispute of the entry is open or justified.
    /// Feed: "dispute.state" {"dispute","state":"open","value_cents",…}.
    public func openDispute(
        client: String, hourEntry sequence: Int64, minutes: Minutes? = nil, reason: String, policy: PricingPolicy,
        at time: Date = Date()
    ) async throws -> Dispute {
        try await ledgerTransaction { db in
            try await Catalog.openDispute(
                db, client: client, hourEntry: sequence, minutes: minutes, reason: reason, policy: policy, at: time)
        }
    }

    /// Opens a dispute of `amount` (0.01 … its total, checked by the domain) of one of the
    /// client's invoices. `.notFound` if the invoice is not the client's; `.conflict` while
    /// another dispute of the invoice is open or justified. Feed: dispute.state open.
    public func openDispute(
        client: String, invoice: InvoiceNumber, amount: Cents, reason: String, at time: Date = Date()
    ) async throws -> Dispute {
        try await ledgerTransaction { db in
            try await Catalog.openDispute(db, client: client, invoice: invoice, amount: amount, reason: reason, at: time)
        }
    }

    /// Resolves an open dispute. Justified: a voucher of the dispute's value is issued under
    /// `voucherCode` (random, from the caller; `.conflict` if taken) and a "voucher-issued"
    /// entry is appended to the client's chain; `reason` is kept as the resolution note.
    /// Rejected: `reason` is required (domain) and `voucherCode` is ignored. The domain
    /// refuses a dispute resolved already. Feed: dispute.state justified|rejected, and
    /// ledger.entry for the voucher.
    public func resolveDispute(
        _ id: String, justified: Bool, reason: String, voucherCode: String, at time: Date = Date()
    ) async throws -> (dispute: Dispute, voucher: Voucher?) {
        try await ledgerTransaction { db in
            try await Catalog.resolveDispute(db, id, justified: justified, reason: reason, voucherCode: voucherCode, at: time)
        }
    }

    /// Deducts voucher `code` from invoice `number` (as much as both allow; the domain
    /// refuses another client's invoice, a paid invoice and a used-up voucher). Appends a
    /// "voucher-applied" entry and, when the deduction completes the invoice, its credit
    /// entry, exactly as a completing payment does. Feed: invoice.state, ledger.entry(s).
    public func applyVoucher(_ code: String, to number: InvoiceNumber, at time: Date = Date()) async throws -> (invoice: Invoice, use: VoucherUse) {
        try await ledgerTransaction { db in try await Catalog.applyVoucher(db, code, to: number, at: time) }
    }

    /// The client's disputes, oldest first. `.notFound` for an unknown client.
    public func disputes(client: String) async throws -> [Dispute] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            return try await db.select().column("data").from("disputes")
                .where("client", .equal, SQLBind(client)).orderBy("ordinal").all()
                .map(Catalog.dispute(from:))
        }
    }

    public func dispute(_ id: String) async throws -> Dispute? {
        try await read { db in try await Catalog.fetchDispute(db, id: id) }
    }

    /// The client's vouchers, oldest first, with what is left of each. `.notFound` for an
    /// unknown client.
    public func vouchers(client: String) async throws -> [Voucher] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            return try await db.select().column("data").from("vouchers")
                .where("client", .equal, SQLBind(client)).orderBy("issued_at").orderBy("code").all()
                .map(Catalog.voucher(from:))
        }
    }

    public func voucher(_ code: String) async throws -> Voucher? {
        try await read { db in try await Catalog.fetchVoucher(db, code: code) }
    }

    // MARK: Steps on a caller's transaction (for `idempotent(…)`)

    /// `openDispute(client:hourEntry:…)` on the caller's transaction.
    public static func openDispute(
        _ db: any SQLDatabase, client: String, hourEntry sequence: Int64, minutes: Minutes? = nil, reason: String,
        policy: PricingPolicy, at time: Date = Date()
    ) async throws -> Dispute {
        try await atomically(db) {
            let owner = try await requireClient(db, client)
            try checkReason(reason)
            guard let row = try await db.select().columns(ledgerColumns).from("ledger_entries")
                .where("client", .equal, SQLBind(client)).where("sequence", .equal, SQLBind(sequence)).first()
            else { throw LedgerError.entryNotFound(sequence) }
            let entry = try chainedEntry(from: row).entry
            let terms = try await latestAcceptedTerms(db, client: client, project: entry.project)
                ?? policy.terms(for: owner.plan, clientRate: owner.rateCents.map { Cents($0) })
            let now = timestamp(time)
            let ordinal = try await nextCounter(db, "dispute")
            let dispute = try Dispute.open(
                id: "D\(ordinal)", hourEntry: entry, minutes: minutes, terms: terms, reason: reason, at: UnixTime(now))
            for other in try await fetchLedgerEntries(db, client: client, project: entry.project) {
                if case .reversal(let reversal) = other.entry.kind, reversal.entry == sequence {
                    throw LedgerError.alreadyReversed(sequence)
                }
            }
            try await insertDispute(db, dispute, ordinal: ordinal, at: now)
            return dispute
        }
    }

    /// `openDispute(client:invoice:…)` on the caller's transaction.
    public static func openDispute(
        _ db: any SQLDatabase, client: String, invoice number: InvoiceNumber, amount: Cents, reason: String,
        at time: Date = Date()
    ) async throws -> Dispute {
        try await atomically(db) {
            _ = try await requireClient(db, client)
            try checkReason(reason)
            guard let invoice = try await fetchInvoice(db, number: number), invoice.client == client else {
                throw CatalogError.notFound("no invoice \(number) for client \(client)")
            }
            let now = timestamp(time)
            let ordinal = try await nextCounter(db, "dispute")
            let dispute = try Dispute.open(id: "D\(ordinal)", invoice: invoice, amount: amount, reason: reason, at: UnixTime(now))
            try await insertDispute(db, dispute, ordinal: ordinal, at: now)
            return dispute
        }
    }

    /// `resolveDispute` on the caller's transaction.
    public static func resolveDispute(
        _ db: any SQLDatabase, _ id: String, justified: Bool, reason: String, voucherCode: String, at time: Date = Date()
    ) async throws -> (dispute: Dispute, voucher: Voucher?) {
        try await atomically(db) {
            try checkReason(reason)
            guard var dispute = try await fetchDispute(db, id: id) else { throw CatalogError.notFound("no dispute \(id)") }
            let now = timestamp(time)
            var voucher: Voucher?
            if justified {
                guard voucherCode.utf8.count <= 64, voucherCode.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
                else { throw CatalogError.invalid("a voucher code is 1 to 64 printable ASCII characters without spaces") }
                let issued = try dispute.justify(
                    voucherCode: voucherCode, at: UnixTime(now), note: reason.allSatisfy(\.isWhitespace) ? nil : reason)
                guard try await fetchVoucher(db, code: issued.code) == nil else {
                    throw CatalogError.conflict("voucher code \(issued.code) is taken")
                }
                voucher = issued
            } else {
                try dispute.reject(reason: reason, at: UnixTime(now))
            }
            try await db.update("disputes")
                .set("state", to: SQLBind(disputeState(dispute)))
                .set("data", to: SQLBind(try storedJSON(dispute)))
                .set("updated_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(dispute.id))
                .run()
            try await appendDisputeChange(db, dispute, at: now)
            if let voucher {
                try await db.insert(into: "vouchers")
                    .columns("code", "client", "dispute", "remaining_cents", "data", "issued_at", "updated_at")
                    .values(
                        SQLBind(voucher.code), SQLBind(voucher.client), SQLBind(voucher.dispute),
                        SQLBind(voucher.remaining.rawValue), SQLBind(try storedJSON(voucher)), SQLBind(now), SQLBind(now))
                    .run()
                _ = try await appendLedgerEntry(db, client: dispute.client, project: dispute.project, kind: voucher.issuedEntry, at: now)
            }
            return (dispute, voucher)
        }
    }

    /// `applyVoucher` on the caller's transaction.
    public static func applyVoucher(
        _ db: any SQLDatabase, _ code: String, to number: InvoiceNumber, at time: Date = Date()
    ) async throws -> (invoice: Invoice, use: VoucherUse) {
        try await atomically(db) {
            guard var voucher = try await fetchVoucher(db, code: code) else { throw CatalogError.notFound("no voucher \(code)") }
            var invoice = try await requireInvoice(db, number)
            let now = timestamp(time)
            let use = try invoice.apply(&voucher, at: UnixTime(now))
            try await db.update("vouchers")
                .set("remaining_cents", to: SQLBind(voucher.remaining.rawValue))
                .set("data", to: SQLBind(try storedJSON(voucher)))
                .set("updated_at", to: SQLBind(now))
                .where("code", .equal, SQLBind(voucher.code))
                .run()
            try await updateInvoice(db, invoice, at: now)
            try await appendInvoiceChange(db, invoice, at: now)
            _ = try await appendLedgerEntry(db, client: invoice.client, project: invoice.project, kind: use.entry, at: now)
            if case .nowPaid = use.outcome {
                _ = try await appendLedgerEntry(db, client: invoice.client, project: invoice.project, kind: invoice.creditEntry, at: now)
            }
            return (invoice, use)
        }
    }

    /// The dispute `id`, read on the given database.
    public static func fetchDispute(_ db: any SQLDatabase, id: String) async throws -> Dispute? {
        try await db.select().column("data").from("disputes").where("id", .equal, SQLBind(id)).first().map(dispute(from:))
    }

    /// The voucher `code`, read on the given database.
    public static func fetchVoucher(_ db: any SQLDatabase, code: String) async throws -> Voucher? {
        try await db.select().column("data").from("vouchers").where("code", .equal, SQLBind(code)).first().map(voucher(from:))
    }

    // MARK: Rows

    static func dispute(from row: any SQLRow) throws -> Dispute {
        try decodeStored(Dispute.self, from: try row.decode(column: "data", as: String.self), what: "dispute")
    }

    static func voucher(from row: any SQLRow) throws -> Voucher {
        try decodeStored(Voucher.self, from: try row.decode(column: "data", as: String.self), what: "voucher")
    }

    /// "open", "justified" or "rejected".
    public static func disputeState(_ dispute: Dispute) -> String {
        switch dispute.state {
        case .open: "open"
        case .justified: "justified"
        case .rejected: "rejected"
        }
    }

    /// The subject as (kind, key) columns: ("hour-entry", "3") or ("invoice", "2026/0001").
    static func disputeSubject(_ dispute: Dispute) -> (kind: String, key: String) {
        switch dispute.subject {
        case .hourEntry(let sequence, _, _): ("hour-entry", String(sequence))
        case .invoice(let number, _): ("invoice", number.description)
        }
    }

    /// Checked only for length and control characters; blankness is the domain's `missingReason`.
    static func checkReason(_ reason: String) throws {
        guard isValidText(reason, maxLength: 2000) else {
            throw CatalogError.invalid("a reason is at most 2000 characters, without control characters except newlines")
        }
    }

    /// Stores a new dispute, refusing a second live one (open or justified) on the same subject.
    static func insertDispute(_ db: any SQLDatabase, _ dispute: Dispute, ordinal: Int64, at now: Int64) async throws {
        let subject = disputeSubject(dispute)
        if let live = try await db.select().column("id").from("disputes")
            .where("client", .equal, SQLBind(dispute.client))
            .where("subject_kind", .equal, SQLBind(subject.kind)).where("subject", .equal, SQLBind(subject.key))
            .where("state", .notEqual, SQLBind("rejected"))
            .first()
        {
            let other = try live.decode(column: "id", as: String.self)
            throw CatalogError.conflict("\(subject.kind) \(subject.key) is disputed already (\(other))")
        }
        try await db.insert(into: "disputes")
            .columns("id", "ordinal", "client", "project", "subject_kind", "subject", "state", "data", "opened_at", "updated_at")
            .values(
                SQLBind(dispute.id), SQLBind(ordinal), SQLBind(dispute.client), SQLBind(dispute.project),
                SQLBind(subject.kind), SQLBind(subject.key), SQLBind(disputeState(dispute)),
                SQLBind(try storedJSON(dispute)), SQLBind(now), SQLBind(now))
            .run()
        try await appendDisputeChange(db, dispute, at: now)
    }

    /// "dispute.state": {"dispute","state","subject","entry"|"invoice","value_cents"} (+ "voucher" when justified).
    static func appendDisputeChange(_ db: any SQLDatabase, _ dispute: Dispute, at now: Int64) async throws {
        struct DisputeChange: Encodable {
            var dispute: String
            var state: String
            var subject: String
            var entry: Int64?
            var invoice: String?
            var valueCents: Int64
            var voucher: String?

            enum CodingKeys: String, CodingKey {
                case dispute, state, subject, entry, invoice, voucher
                case valueCents = "value_cents"
            }
        }
        var change = DisputeChange(
            dispute: dispute.id, state: disputeState(dispute), subject: disputeSubject(dispute).kind,
            valueCents: dispute.value.rawValue)
        switch dispute.subject {
        case .hourEntry(let sequence, _, _): change.entry = sequence
        case .invoice(let number, _): change.invoice = number.description
        }
        if case .justified(let code) = dispute.state { change.voucher = code }
        _ = try await appendChange(
            db, client: dispute.client, kind: "dispute.state", project: dispute.project, path: nil,
            data: try jsonObject(change), at: now)
    }

    /// The terms frozen on the project's latest accepted quote, or nil if none was accepted.
    static func latestAcceptedTerms(_ db: any SQLDatabase, client: String, project: String) async throws -> QuoteTerms? {
        let accepted = try await db.select().columns(quoteColumns).from("quotes")
            .where("client", .equal, SQLBind(client)).where("project", .equal, SQLBind(project))
            .where("state", .equal, SQLBind(QuoteState.accepted.rawValue))
            .orderBy("ordinal").all()
            .map(storedQuote(from:))
        // The latest acceptance; between two accepted in the same second, the higher quote number.
        return accepted.enumerated()
            .max { ($0.element.quote.decidedAt ?? 0, $0.offset) < ($1.element.quote.decidedAt ?? 0, $1.offset) }?
            .element.terms
    }
}
