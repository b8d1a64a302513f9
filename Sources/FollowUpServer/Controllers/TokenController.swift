import Catalog
import Hummingbird

/// `POST /v1/tokens` (admin): a new bearer token, its secret returned once.
struct TokenController {
    let catalog: Catalog

    struct CreateTokenRequest: Decodable, Sendable {
        var name: String
        var role: String
        var client: String?
    }

    struct CreatedToken: Encodable {
        var id: Int64
        var token: String
        var role: String
        var client: String?
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin)
        let body = try await JSONBody<CreateTokenRequest>(request, context: context)
        guard let role = Role(rawValue: body.value.role) else { throw APIError.badRequest("role must be admin, staff or client") }
        if let client = body.value.client, try await catalog.client(client) == nil {
            throw APIError.notFound("no client \(client)")
        }
        // Not idempotent on purpose: a replay would have to store the secret, which is never stored.
        let (record, secret) = try await catalog.createToken(name: body.value.name, role: role, client: body.value.client)
        return try JSONResponse(CreatedToken(id: record.id, token: secret, role: role.rawValue, client: record.client), status: .created)
    }
}
