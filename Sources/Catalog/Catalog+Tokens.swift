import ContentStore
import Foundation
import SQLKit

/// What a token may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Everything, including identities.
    case admin
    /// All clients' data: uploads, hours, ledger.
    case staff
    /// One client's own data, mostly read.
    case client
}

/// A stored token. The secret itself is never stored, only its SHA-256.
public struct TokenRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var client: String?
    public var created: Date
}

extension Catalog {
    /// Creates a token and returns it with its secret, which is shown only this once.
    /// The secret is 256 random bits, prefixed `fu_` so it is recognisable in a leak scan.
    public func createToken(name: String, role: Role, client: String? = nil, at time: Date = Date()) async throws -> (record: TokenRecord, secret: String) {
        guard !name.isEmpty, name.count <= 200 else { throw CatalogError.invalid("a token needs a name of 1 to 200 characters") }
        guard (role == .client) == (client != nil) else {
            throw CatalogError.invalid(role == .client ? "a client token needs --client" : "only client tokens are bound to a client")
        }
        let secret = "fu_" + SecureRandom.hex(32)
        let hash = Data(SHA256.hash(secret).bytes)
        let now = Catalog.timestamp(time)
        let id = try await transaction { db in
            guard let row = try await db.insert(into: "tokens")
                .columns("name", "role", "client", "token_hash", "created_at")
                .values(SQLBind(name), SQLBind(role.rawValue), SQLBind(client), SQLBind(hash), SQLBind(now))
                .returning("id").first()
            else { throw CatalogError.database("the new token has no id") }
            return try row.decode(column: "id", as: Int64.self)
        }
        return (TokenRecord(id: id, name: name, role: role, client: client, created: Catalog.date(now)), secret)
    }

    /// The live token whose secret this is, or nil.
    public func authenticate(secret: String) async throws -> TokenRecord? {
        let hash = Data(SHA256.hash(secret).bytes)
        return try await read { db in
            guard let row = try await db.select().columns("id", "name", "role", "client", "created_at").from("tokens")
                .where("token_hash", .equal, SQLBind(hash)).where("revoked_at", .is, SQLLiteral.null).first()
            else { return nil }
            guard let role = Role(rawValue: try row.decode(column: "role", as: String.self)) else { return nil }
            return TokenRecord(
                id: try row.decode(column: "id", as: Int64.self),
                name: try row.decode(column: "name", as: String.self),
                role: role,
                client: try row.decode(column: "client", as: String?.self),
                created: Catalog.date(try row.decode(column: "created_at", as: Int64.self)))
        }
    }

    /// Number of live admin tokens (an initialised store has at least one).
    public func adminTokenCount() async throws -> Int {
        try await read { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("tokens")
                .where("role", .equal, SQLBind(Role.admin.rawValue)).where("revoked_at", .is, SQLLiteral.null)
                .first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
