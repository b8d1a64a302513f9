import Foundation
import SQLKit

/// A response recorded under an idempotency key: what a retry gets back, byte for byte.
public struct StoredResponse: Sendable, Hashable {
    /// The HTTP status the first request was answered with.
    public var status: Int
    /// The response body exactly as first sent (empty for none).
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

extension Catalog {
    /// Idempotency keys: 1–200 printable ASCII characters (0x20–0x7E). They travel in an
    /// HTTP header, and a bound keeps a hostile client from storing large keys.
    public static func isValidIdempotencyKey(_ key: String) -> Bool {
        (1...200).contains(key.utf8.count) && key.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// Runs `perform` in one transaction together with recording its response under (scope, key).
    ///
    /// A retry with the same key and the same request hash returns the recorded response
    /// (replayed: true) and runs nothing; the same key with a different request hash throws
    /// `CatalogError.conflict`. Because the record and `perform`'s writes commit together,
    /// there is no window in which the change happened but a retry would run it again
    /// (or the key was recorded but the change lost).
    ///
    /// If `perform` throws, the transaction rolls back: nothing it wrote and no response is
    /// kept, so a retry with the key runs again. A CatalogError from `perform` comes out
    /// unchanged; any other error is logged and surfaces as `CatalogError.database`, like
    /// every driver error. To record a refusal (so retries get the same refusal), return
    /// it as a response instead of throwing.
    ///
    /// `scope` separates key spaces (e.g. the route and the caller's token): the same key
    /// sent to two different operations is two different requests. `perform` gets the
    /// transaction's database; use the catalog's static helpers on it (`insertClient`,
    /// `insertProject`, `fetchClient`, …), never the catalog's own async methods: they wait
    /// for the connection this transaction holds, so calling one here deadlocks.
    ///
    /// Concurrent requests with one key queue on the write lock (SQLite) and the second
    /// sees the first's record. On PostgreSQL two simultaneous first attempts could both
    /// run, and the primary key then fails the later one with `.database`; it is rolled
    /// back, never double-applied.
    public func idempotent(
        scope: String, key: String, requestHash: [UInt8],
        perform: @escaping @Sendable (any SQLDatabase) async throws -> StoredResponse
    ) async throws -> (response: StoredResponse, replayed: Bool) {
        guard Catalog.isValidIdempotencyKey(key) else {
            throw CatalogError.invalid("an idempotency key is 1 to 200 printable ASCII characters")
        }
        guard (1...200).contains(scope.utf8.count) else { throw CatalogError.invalid("an idempotency scope is 1 to 200 bytes") }
        guard (1...64).contains(requestHash.count) else { throw CatalogError.invalid("a request hash is 1 to 64 bytes") }
        let hash = Data(requestHash)
        let now = Catalog.timestamp(Date())
        return try await transaction { db in
            if let row = try await db.select().columns("request_hash", "status", "body").from("idempotency_keys")
                .where("scope", .equal, SQLBind(scope)).where("key", .equal, SQLBind(key)).first() {
                guard try row.decode(column: "request_hash", as: Data.self) == hash else {
                    throw CatalogError.conflict("idempotency key \(key) was used for a different request")
                }
                let response = StoredResponse(
                    status: try row.decode(column: "status", as: Int.self),
                    body: Array(try row.decode(column: "body", as: Data.self)))
                return (response: response, replayed: true)
            }
            let response = try await perform(db)
            try await db.insert(into: "idempotency_keys")
                .columns("scope", "key", "request_hash", "status", "body", "created_at")
                .values(
                    SQLBind(scope), SQLBind(key), SQLBind(hash), SQLBind(response.status),
                    SQLBind(Data(response.body)), SQLBind(now))
                .run()
            return (response: response, replayed: false)
        }
    }
}
