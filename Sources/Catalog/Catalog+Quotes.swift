import ContentStore
import Foundation
import Ledger
import SQLKit

/// A quote as stored: the domain value, its frozen terms and, once accepted, the evidence.
public struct StoredQuote: Sendable, Hashable {
    public var quote: Quote
    /// The terms frozen on acceptance (`quote.terms`); nil before.
    public var terms: QuoteTerms?
    /// Who accepted, when, and the hash of the exact text accepted; nil before acceptance.
    public var evidence: AcceptanceEvidence?

    public init(quote: Quote, evidence: AcceptanceEvidence? = nil) {
        self.quote = quote
        self.terms = quote.terms
        self.evidence = evidence
    }
}

/// The evidence of a quote's acceptance (DESIGN: who accepted, when, and the hash of the
/// exact quote text accepted).
public struct AcceptanceEvidence: Sendable, Hashable, Codable {
    /// The token that accepted.
    public var tokenID: Int64
    /// Staff accepted for the client (e.g. on a signed paper copy), rather than the client's own token.
    public var onBehalf: Bool
    public var at: Date
    /// SHA-256 of `text` as UTF-8.
    public var sha256: [UInt8]
    /// ``Quote/canonicalText(terms:)`` at acceptance: what was accepted, word for word.
    public var text: String

    public init(tokenID: Int64, onBehalf: Bool, at: Date, sha256: [UInt8], text: String) {
        self.tokenID = tokenID
        self.onBehalf = onBehalf
        self.at = at
        self.sha256 = sha256
        self.text = text
    }
}

extension Catalog {
    // MARK: Instance API: one transaction each

    /// Creates a draft quote "Q<n>" for a project of the client; `plan` nil means the
    /// client's plan. Feed: "quote.state" {"quote","state":"draft"}.
    /// `.notFound` for an unknown client or project; the domain refuses empty quotes and
    /// services without a name or minutes (`LedgerError`).
    public func createQuote(
        client: String, project: String, plan: Plan? = nil, services: [QuoteService], at time: Date = Date()
    ) async throws -> StoredQuote {
        try await ledgerTransaction { db in
            try await Catalog.createQuote(db, client: client, project: project, plan: plan, services: services, at: time)
        }
    }

    /// draft → sent. Feed: quote.state sent.
    public func sendQuote(_ id: String, at time: Date = Date()) async throws -> StoredQuote {
        try await ledgerTransaction { db in try await Catalog.sendQuote(db, id, at: time) }
    }

    /// sent → accepted, in one transaction: freezes the terms in force
    /// (`policy.terms(for: plan, clientRate: client's rate)`), draws the next invoice number
    /// of the Europe/Rome year (no gaps), stores the invoice and, for a monthly plan, the
    /// contract (the invoice is month 1's), and keeps the acceptance evidence (SHA-256 of
    /// the quote's canonical text). Feed: quote.state accepted, then "invoice.state"
    /// {"invoice","state":"issued","total_cents",…}.
    public func acceptQuote(
        _ id: String, policy: PricingPolicy, tokenID: Int64, onBehalf: Bool, at time: Date = Date()
    ) async throws -> (quote: StoredQuote, invoice: Invoice) {
        try await ledgerTransaction { db in
            try await Catalog.acceptQuote(db, id, policy: policy, tokenID: tokenID, onBehalf: onBehalf, at: time)
        }
    }

    /// sent → rejected, with the client's reason if given. Feed: quote.state rejected.
    public func rejectQuote(_ id: String, reason: String?, at time: Date = Date()) async throws -> StoredQuote {
        try await ledgerTransaction { db in try await Catalog.rejectQuote(db, id, reason: reason, at: time) }
    }

    public func quote(_ id: String) async throws -> StoredQuote? {
        try await read { db in try await Catalog.fetchQuote(db, id: id) }
    }

    /// The client's quotes, oldest first. `.notFound` for an unknown client.
    public func quotes(client: String) async throws -> [StoredQuote] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            return try await db.select().columns(Catalog.quoteColumns).from("quotes")
                .where("client", .equal, SQLBind(client)).orderBy("ordinal").all()
                .map(Catalog.storedQuote(from:))
        }
    }

    // MARK: Steps on a caller's transaction (for `idempotent(…)`)

    /// `createQuote` on the caller's transaction (see ``insertClient(_:slug:name:plan:rateCents:at:)``).
    public static func createQuote(
        _ db: any SQLDatabase, client: String, project: String, plan: Plan? = nil, services: [QuoteService],
        at time: Date = Date()
    ) async throws -> StoredQuote {
        try await atomically(db) {
            let owner = try await requireClient(db, client)
            _ = try await requireProject(db, client: client, project: project)
            for service in services where service.name.count > 200
                || service.name.unicodeScalars.contains(where: \.isControl) {
                throw CatalogError.invalid("a service name is at most 200 characters, without control characters")
            }
            let ordinal = try await nextCounter(db, "quote")
            let quote = try Quote(id: "Q\(ordinal)", client: client, project: project, plan: plan ?? owner.plan, services: services)
            let now = timestamp(time)
            try await db.insert(into: "quotes")
                .columns("id", "ordinal", "client", "project", "state", "data", "evidence", "created_at", "updated_at")
                .values(
                    SQLBind(quote.id), SQLBind(ordinal), SQLBind(client), SQLBind(project), SQLBind(quote.state.rawValue),
                    SQLBind(try storedJSON(quote)), SQLBind(String?.none), SQLBind(now), SQLBind(now))
                .run()
            try await appendQuoteChange(db, quote, invoice: nil, at: now)
            return StoredQuote(quote: quote)
        }
    }

    /// `sendQuote` on the caller's transaction.
    public static func sendQuote(_ db: any SQLDatabase, _ id: String, at time: Date = Date()) async throws -> StoredQuote {
        try await atomically(db) {
            var stored = try await requireQuote(db, id)
            let now = timestamp(time)
            try stored.quote.send(at: UnixTime(now))
            try await updateQuote(db, stored, at: now)
            try await appendQuoteChange(db, stored.quote, invoice: nil, at: now)
            return stored
        }
    }

    /// `acceptQuote` on the caller's transaction.
    public static func acceptQuote(
        _ db: any SQLDatabase, _ id: String, policy: PricingPolicy, tokenID: Int64, onBehalf: Bool, at time: Date = Date()
    ) async throws -> (quote: StoredQuote, invoice: Invoice) {
        try await atomically(db) {
            var stored = try await requireQuote(db, id)
            // The transition is checked before a number is drawn, so a quote in the wrong
            // state gets that error rather than one about invoice numbering.
            guard stored.quote.state.canMove(to: .accepted) else {
                throw LedgerError.invalidQuoteTransition(from: stored.quote.state, to: .accepted)
            }
            let client = try await requireClient(db, stored.quote.client)
            let terms = try policy.terms(for: stored.quote.plan, clientRate: client.rateCents.map { Cents($0) })
            let now = timestamp(time)
            let number = try await nextInvoiceNumber(db, at: UnixTime(now))
            let acceptance = try stored.quote.accept(terms: terms, invoiceNumber: number, at: UnixTime(now))
            let text = acceptance.canonicalText
            stored = StoredQuote(
                quote: acceptance.quote,
                evidence: AcceptanceEvidence(
                    tokenID: tokenID, onBehalf: onBehalf, at: date(now), sha256: sha256(Array(text.utf8)), text: text))
            try await updateQuote(db, stored, at: now)
            if let contract = acceptance.contract {
                try await db.insert(into: "contracts")
                    .columns("quote", "client", "project", "data", "created_at", "updated_at")
                    .values(
                        SQLBind(contract.quote), SQLBind(contract.client), SQLBind(contract.project),
                        SQLBind(try storedJSON(contract)), SQLBind(now), SQLBind(now))
                    .run()
            }
            try await appendQuoteChange(db, stored.quote, invoice: number, at: now)
            try await insertInvoice(db, acceptance.invoice, at: now)
            return (stored, acceptance.invoice)
        }
    }

    /// `rejectQuote` on the caller's transaction.
    public static func rejectQuote(
        _ db: any SQLDatabase, _ id: String, reason: String?, at time: Date = Date()
    ) async throws -> StoredQuote {
        try await atomically(db) {
            if let reason, !isValidText(reason, maxLength: 2000) {
                throw CatalogError.invalid("a rejection reason is at most 2000 characters, without control characters except newlines")
            }
            var stored = try await requireQuote(db, id)
            let now = timestamp(time)
            try stored.quote.reject(at: UnixTime(now), reason: reason)
            try await updateQuote(db, stored, at: now)
            try await appendQuoteChange(db, stored.quote, invoice: nil, at: now)
            return stored
        }
    }

    /// The quote `id`, read on the given database.
    public static func fetchQuote(_ db: any SQLDatabase, id: String) async throws -> StoredQuote? {
        try await db.select().columns(quoteColumns).from("quotes").where("id", .equal, SQLBind(id)).first()
            .map(storedQuote(from:))
    }

    // MARK: Rows

    static let quoteColumns = ["id", "data", "evidence"]

    static func storedQuote(from row: any SQLRow) throws -> StoredQuote {
        let quote = try decodeStored(Quote.self, from: try row.decode(column: "data", as: String.self), what: "quote")
        let evidence = try row.decode(column: "evidence", as: String?.self)
            .map { try decodeStored(AcceptanceEvidence.self, from: $0, what: "acceptance evidence") }
        return StoredQuote(quote: quote, evidence: evidence)
    }

    static func requireQuote(_ db: any SQLDatabase, _ id: String) async throws -> StoredQuote {
        guard let stored = try await fetchQuote(db, id: id) else { throw CatalogError.notFound("no quote \(id)") }
        return stored
    }

    static func updateQuote(_ db: any SQLDatabase, _ stored: StoredQuote, at now: Int64) async throws {
        try await db.update("quotes")
            .set("state", to: SQLBind(stored.quote.state.rawValue))
            .set("data", to: SQLBind(try storedJSON(stored.quote)))
            .set("evidence", to: SQLBind(try stored.evidence.map { try storedJSON($0) }))
            .set("updated_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(stored.quote.id))
            .run()
    }

    /// "quote.state" {"quote","state"} (+ "invoice" when accepting).
    static func appendQuoteChange(_ db: any SQLDatabase, _ quote: Quote, invoice: InvoiceNumber?, at now: Int64) async throws {
        struct QuoteChange: Encodable {
            var quote: String
            var state: String
            var invoice: String?
        }
        _ = try await appendChange(
            db, client: quote.client, kind: "quote.state", project: quote.project, path: nil,
            data: try jsonObject(QuoteChange(quote: quote.id, state: quote.state.rawValue, invoice: invoice?.description)),
            at: now)
    }

    /// Free text (a reason, a message): 0 to `maxLength` characters, no control characters
    /// other than newline and tab.
    static func isValidText(_ s: String, maxLength: Int) -> Bool {
        s.count <= maxLength
            && !s.unicodeScalars.contains {
                $0.isControl && $0 != "\n" && $0 != "\t"
            }
    }
}
