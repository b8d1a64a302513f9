import Catalog

/// An authenticated caller and what it may do.
///
/// Admin: everything. Staff: every client's data. Client: its own client only,
/// and a resource of another client is reported as missing (404), never as
/// forbidden, so its existence does not leak.
public struct Identity: Sendable, Hashable {
    public let token: TokenRecord

    public init(token: TokenRecord) {
        self.token = token
    }

    public var role: Role { token.role }

    /// Whether the caller may read anything of `client`.
    public func canAccess(client: String) -> Bool {
        switch token.role {
        case .admin, .staff: true
        case .client: token.client == client
        }
    }

    /// 404 unless the caller may see `client`.
    func requireAccess(toClient client: String) throws {
        guard canAccess(client: client) else { throw APIError.notFound("no client \(client)") }
    }

    /// 403 unless the caller has one of `roles`.
    func require(_ roles: Role...) throws {
        guard roles.contains(token.role) else {
            let names = roles.map(\.rawValue).joined(separator: " or ")
            throw APIError.forbidden("this needs \(names.first == "a" ? "an" : "a") \(names) token")
        }
    }

    /// The scope of the caller's idempotency keys: one token's keys never meet another's.
    var idempotencyScope: String { "token:\(token.id)" }
}
