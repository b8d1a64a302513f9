import ContentStore
import Foundation
import Ledger
import SQLKit

/// What the ledger's storage files share: one step = one savepoint, counters for ids, the
/// JSON of stored domain values, and the Date ↔ UnixTime boundary.
///
/// The domain (`Ledger`) decides every rule and throws `LedgerError`; the catalog stores
/// the outcome. A static `db`-taking step (`acceptQuote(db, …)`, `logHours(db, …)`, …)
/// runs inside a SAVEPOINT, so when the domain refuses half-way (after an id or an invoice
/// number was drawn) nothing of the step stays behind, even if the caller catches the
/// error and commits its transaction (e.g. to record the refusal under an idempotency key).
extension Catalog {
    /// Runs one step on the caller's transaction, all or nothing: a savepoint is released
    /// when `body` returns and rolled back when it throws (the error passes through
    /// unchanged). SAVEPOINT is portable SQL (SQLite and PostgreSQL), and on PostgreSQL it
    /// also keeps a failed statement from aborting the caller's whole transaction.
    static func atomically<T>(_ db: any SQLDatabase, _ body: () async throws -> T) async throws -> T {
        try await db.raw("SAVEPOINT ledger_step").run()
        do {
            let result = try await body()
            try await db.raw("RELEASE SAVEPOINT ledger_step").run()
            return result
        } catch {
            try? await db.raw("ROLLBACK TO SAVEPOINT ledger_step").run()
            try? await db.raw("RELEASE SAVEPOINT ledger_step").run()
            throw error
        }
    }

    /// `transaction`, letting the domain's `LedgerError` out unchanged (the plain
    /// `transaction` reduces unknown errors to `.database`). The step refused by the domain
    /// has already rolled back its savepoint, so committing the empty rest is harmless.
    func ledgerTransaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let outcome: Result<T, LedgerError> = try await transaction { db in
            do {
                return .success(try await body(db))
            } catch let refusal as LedgerError {
                return .failure(refusal)
            }
        }
        return try outcome.get()
    }

    /// The next value of a catalog-wide counter ("quote", "dispute", "ticket"): 1, 2, 3, …
    /// Bumped inside the writing transaction, so a rolled-back writer gives its number back.
    static func nextCounter(_ db: any SQLDatabase, _ name: String) async throws -> Int64 {
        if let row = try await db.update("counters")
            .set("value", to: SQLBinaryExpression(SQLColumn("value"), .add, SQLLiteral.numeric("1")))
            .where("name", .equal, SQLBind(name))
            .returning("value")
            .first()
        {
            return try row.decode(column: "value", as: Int64.self)
        }
        try await db.insert(into: "counters").columns("name", "value").values(SQLBind(name), SQLBind(Int64(1))).run()
        return 1
    }

    /// The numeric part of an id such as "Q12" (prefix "Q"), or nil.
    static func ordinal(of id: String, prefix: String) -> Int64? {
        guard id.hasPrefix(prefix), let value = Int64(id.dropFirst(prefix.count)), value > 0,
              "\(prefix)\(value)" == id
        else { return nil }
        return value
    }

    static func unixTime(_ date: Date) -> UnixTime { UnixTime(timestamp(date)) }
    static func date(_ time: UnixTime) -> Date { date(time.rawValue) }

    /// SHA-256 from libcrypto, in the shape the ledger's hash chain takes.
    @Sendable static func sha256(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes).bytes }

    /// A domain value as stored in a `data` column: JSON, sorted keys, times as Unix seconds.
    static func storedJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw CatalogError.invalid("a \(String(describing: type(of: value))) cannot be encoded for storage")
        }
    }

    /// Reads back a `data` column. Domain types re-validate while decoding (an invoice's
    /// lines are re-priced), so a damaged row is refused here rather than shown.
    static func decodeStored<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw CatalogError.invalid("a stored \(what) is damaged")
        }
    }

    /// The client, or `.notFound`.
    static func requireClient(_ db: any SQLDatabase, _ slug: String) async throws -> Client {
        guard let client = try await fetchClient(db, slug: slug) else { throw CatalogError.notFound("no client \(slug)") }
        return client
    }

    /// The project, or `.notFound` (for an unknown client too).
    static func requireProject(_ db: any SQLDatabase, client: String, project: String) async throws -> Project {
        guard let found = try await fetchProject(db, client: client, slug: project) else {
            throw CatalogError.notFound("no project \(client)/\(project)")
        }
        return found
    }
}
