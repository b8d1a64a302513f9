import Foundation
import Ledger
import SQLKit

/// Quote expiry and monthly-contract cancellation: the two transitions that end
/// an offer or an agreement without an invoice.
extension Catalog {
    /// A sent quote the client let lapse. Feed: `quote.state` expired.
    public func expireQuote(_ id: String, at time: Date = Date()) async throws -> StoredQuote {
        try await ledgerTransaction { db in try await Catalog.expireQuote(db, id, at: time) }
    }

    /// Cancels the monthly contract of quote `quote`, allowed from its minimum month on:
    /// the contract ends after the current month. Feed: `contract.state` cancelled.
    public func cancelContract(quote: String, at time: Date = Date()) async throws -> MonthlyContract {
        try await ledgerTransaction { db in try await Catalog.cancelContract(db, quote: quote, at: time) }
    }

    /// Closes month `month` of the monthly contract of quote `quote` once it has ended:
    /// the unused minutes that expire then (every month without carry-over, at the
    /// contract's end with it; minutes paid for later months never) become an `expiry`
    /// ledger entry. Returns the expired minutes and the entry (nil when nothing expired).
    /// A month closes once (`.conflict` after).
    public func closeContractMonth(quote: String, month: Int, at time: Date = Date()) async throws -> (expired: Minutes, entry: ChainedEntry?) {
        try await ledgerTransaction { db in try await Catalog.closeContractMonth(db, quote: quote, month: month, at: time) }
    }

    /// `closeContractMonth` on the caller's transaction.
    public static func closeContractMonth(
        _ db: any SQLDatabase, quote: String, month index: Int, at time: Date = Date()
    ) async throws -> (expired: Minutes, entry: ChainedEntry?) {
        try await atomically(db) {
            guard let contract = try await fetchContract(db, quote: quote) else {
                throw CatalogError.notFound("no monthly contract for quote \(quote)")
            }
            guard (1...contract.lastMonth).contains(index) else {
                throw LedgerError.contractMonthOutOfRange(month: index, lastMonth: contract.lastMonth)
            }
            let now = timestamp(time)
            guard UnixTime(now) >= contract.month(index).ends else {
                throw CatalogError.conflict("month \(index) of the contract of quote \(quote) has not ended yet")
            }
            let marker = try await db.select().column("quote").from("contract_months_closed")
                .where("quote", .equal, SQLBind(quote)).where("month", .equal, SQLBind(index)).first()
            guard marker == nil else {
                throw CatalogError.conflict("month \(index) of the contract of quote \(quote) is closed already")
            }
            // Minutes credited by paid invoices of later months are not this month's to expire.
            var later = Minutes.zero
            for row in try await db.select().column("data").from("invoices").where("quote", .equal, SQLBind(quote)).all() {
                let invoice = try Catalog.invoice(from: row)
                if let month = invoice.contractMonth, month > index, invoice.isPaid { later += invoice.credit }
            }
            let entries = try await fetchLedgerEntries(db, client: contract.client, project: contract.project).map(\.entry)
            let remaining = ProjectBalance(project: contract.project, entries: entries).remaining
            let expired = contract.expiringMinutes(atEndOf: index, remaining: remaining, creditedForLaterMonths: later)
            try await db.insert(into: "contract_months_closed").columns("quote", "month", "expired_minutes", "closed_at")
                .values(SQLBind(quote), SQLBind(index), SQLBind(expired.rawValue), SQLBind(now)).run()
            guard expired > .zero else { return (expired, nil) }
            let entry = try await appendLedgerEntry(
                db, client: contract.client, project: contract.project, kind: .expiry(minutes: expired, contractMonth: index), at: now)
            return (expired, entry)
        }
    }

    /// `expireQuote` on the caller's transaction.
    public static func expireQuote(_ db: any SQLDatabase, _ id: String, at time: Date = Date()) async throws -> StoredQuote {
        try await atomically(db) {
            var stored = try await requireQuote(db, id)
            let now = timestamp(time)
            try stored.quote.expire(at: UnixTime(now))
            try await updateQuote(db, stored, at: now)
            try await appendQuoteChange(db, stored.quote, invoice: nil, at: now)
            return stored
        }
    }

    /// `cancelContract` on the caller's transaction.
    public static func cancelContract(_ db: any SQLDatabase, quote: String, at time: Date = Date()) async throws -> MonthlyContract {
        try await atomically(db) {
            guard var contract = try await fetchContract(db, quote: quote) else {
                throw CatalogError.notFound("no monthly contract for quote \(quote)")
            }
            let now = timestamp(time)
            let last = try contract.cancel(at: UnixTime(now))
            try await db.update("contracts")
                .set("data", to: SQLBind(try storedJSON(contract)))
                .set("updated_at", to: SQLBind(now))
                .where("quote", .equal, SQLBind(quote))
                .run()
            _ = try await appendChange(
                db, client: contract.client, kind: "contract.state", project: contract.project, path: nil,
                data: try storedJSON(ContractChange(quote: quote, state: "cancelled", lastMonth: last.index)), at: now)
            return contract
        }
    }

    private struct ContractChange: Encodable {
        var quote: String
        var state: String
        var lastMonth: Int

        enum CodingKeys: String, CodingKey {
            case quote, state
            case lastMonth = "last_month"
        }
    }
}
