import Catalog
import Hummingbird
import SQLKit
import Ledger
import SyncProtocol

/// Support tickets: a client opens them; staff reply and close. The first
/// response deadline follows the client's plan.
struct TicketController {
    let catalog: Catalog
    let support: SupportPolicy

    func addRoutes(clients: RouterGroup<AppRequestContext>, tickets: RouterGroup<AppRequestContext>) {
        clients.post(use: open).get(use: list)
        tickets.get(use: queue)
            .post(":ticket/replies", use: reply)
            .post(":ticket/close", use: close)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.accessibleClient()
        let body = try await JSONBody<OpenTicketRequest>(request, context: context)
        let (input, support, tokenID) = (body.value, support, identity.token.id)
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            let ticket = try await Catalog.openTicket(db, client: client, subject: input.subject, body: input.body, policy: support, tokenID: tokenID)
            return try await TicketController.info(db, ticket.id)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        return try JSONResponse(try await threads(try await catalog.tickets(client: client)))
    }

    /// The staff queue: every client's tickets by priority, then deadline.
    @Sendable func queue(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireIdentity().require(.admin, .staff)
        return try JSONResponse(try await threads(try await catalog.tickets(client: nil, includeClosed: false)))
    }

    @Sendable func reply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try await visibleTicket(context)
        let body = try await JSONBody<TicketReplyRequest>(request, context: context)
        let (text, tokenID, fromStaff) = (body.value.body, identity.token.id, identity.role != .client)
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog, status: .ok) { db in
            _ = try await Catalog.replyTicket(db, id, body: text, tokenID: tokenID, fromStaff: fromStaff)
            return try await TicketController.info(db, id)
        }
    }

    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try await visibleTicket(context)
        try identity.require(.admin, .staff)
        let body = try await JSONBody<ReasonRequest>(request, context: context, emptyAllowed: true)
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog, status: .ok) { db in
            _ = try await Catalog.closeTicket(db, id)
            return try await TicketController.info(db, id)
        }
    }

    /// A ticket with its state, read inside the change's transaction.
    static func info(_ db: any SQLDatabase, _ id: String) async throws -> TicketInfo {
        guard let thread = try await Catalog.fetchTicketThread(db, id: id, messages: false) else { throw APIError.notFound("no ticket \(id)") }
        return TicketInfo(thread)
    }

    private func threads(_ tickets: [Ticket]) async throws -> [TicketInfo] {
        var out: [TicketInfo] = []
        for ticket in tickets {
            if let thread = try await catalog.ticketThread(ticket.id) { out.append(TicketInfo(thread)) }
        }
        return out
    }

    private func visibleTicket(_ context: AppRequestContext) async throws -> String {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("ticket")
        guard let ticket = try await catalog.ticket(id), identity.canAccess(client: ticket.client) else {
            throw APIError.notFound("no ticket \(id)")
        }
        return ticket.id
    }
}
