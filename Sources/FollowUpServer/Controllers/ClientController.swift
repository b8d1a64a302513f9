import Catalog
import Hummingbird
import Ledger
import SyncProtocol

/// `/v1/clients`: admins create clients; staff see all; a client token sees
/// only its own client, and others' are 404.
struct ClientController {
    let catalog: Catalog

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
            .get(use: list)
            .get(":client", use: show)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin)
        let body = try await JSONBody<CreateClientRequest>(request, context: context)
        let input = body.value
        guard let plan = Plan(rawValue: input.plan ?? "none") else {
            throw APIError.badRequest("plan must be none, monthly or one-time")
        }
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            ClientInfo(try await Catalog.insertClient(db, slug: input.slug, name: input.name, plan: plan, rateCents: input.rateCents))
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let visible = try await catalog.clients().filter { identity.canAccess(client: $0.slug) }
        return try JSONResponse(visible.map(ClientInfo.init))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let slug = try context.parameters.require("client")
        try identity.requireAccess(toClient: slug)
        guard let client = try await catalog.client(slug) else { throw APIError.notFound("no client \(slug)") }
        return try JSONResponse(ClientInfo(client))
    }
}

extension ClientInfo {
    /// The API's view of a catalog client.
    public init(_ client: Client) {
        self.init(
            slug: client.slug, name: client.name, plan: client.plan.rawValue, rateCents: client.rateCents,
            created: Int64(client.created.timeIntervalSince1970))
    }
}
