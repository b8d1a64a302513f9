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
