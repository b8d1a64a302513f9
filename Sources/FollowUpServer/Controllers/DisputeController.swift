import Catalog
import ContentStore
import Hummingbird
import Ledger
import SyncProtocol

/// Disputes: a client (or staff for it) disputes an hour entry or an invoice;
/// staff resolve it justified (a voucher is issued) or rejected.
struct DisputeController {
    let catalog: Catalog
    let policy: PricingPolicy

    func addRoutes(clients: RouterGroup<AppRequestContext>, disputes: RouterGroup<AppRequestContext>) {
        clients.post(use: open).get(use: list)
        disputes.post(":dispute/resolve", use: resolve)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.accessibleClient()
        let body = try await JSONBody<OpenDisputeRequest>(request, context: context)
        let input = body.value
        let policy = policy
        switch (input.entry, input.invoice, input.amountCents) {
        case let (entry?, nil, nil):
            return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
                DisputeInfo(try await Catalog.openDispute(db, client: client, hourEntry: entry, reason: input.reason, policy: policy))
            }
        case let (nil, invoice?, amount?):
            guard let number = InvoiceNumber(invoice) else { throw APIError.badRequest("invoice numbers look like 2026/0001") }
            return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
                DisputeInfo(try await Catalog.openDispute(db, client: client, invoice: number, amount: Cents(amount), reason: input.reason))
            }
        default:
            throw APIError.badRequest("dispute either an hour entry (\"entry\") or an invoice (\"invoice\" with \"amount_cents\")")
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        return try JSONResponse(try await catalog.disputes(client: client).map(DisputeInfo.init))
    }

    @Sendable func resolve(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, .staff)
        let id = try context.parameters.require("dispute")
        let body = try await JSONBody<ResolveDisputeRequest>(request, context: context)
        let input = body.value
        // A voucher code people can type: 12 hex digits from libcrypto's generator.
        let code = "V-" + SecureRandom.hex(6).uppercased()
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog, status: .ok) { db in
            DisputeInfo(try await Catalog.resolveDispute(db, id, justified: input.justified, reason: input.reason, voucherCode: code).dispute)
        }
    }
}
