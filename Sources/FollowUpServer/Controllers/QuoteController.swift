import Catalog
import Hummingbird
import SQLKit
import Ledger
import SyncProtocol

/// Quotes: staff draft and send them; the client accepts or rejects (staff may,
/// on the client's behalf, recorded as such). Accepting issues the invoice.
struct QuoteController {
    let catalog: Catalog
    let policy: PricingPolicy

    func addRoutes(clients: RouterGroup<AppRequestContext>, quotes: RouterGroup<AppRequestContext>) {
        clients.post(use: create).get(use: list)
        quotes.get(":quote", use: show)
            .post(":quote/send", use: send)
            .post(":quote/accept", use: accept)
            .post(":quote/reject", use: reject)
            .post(":quote/expire", use: expire)
            .post(":quote/months/:month/invoice", use: invoiceMonth)
            .post(":quote/months/:month/close", use: closeMonth)
            .post(":quote/cancel", use: cancel)
    }

    struct Accepted: Encodable, Sendable {
        var quote: QuoteInfo
        var invoice: InvoiceInfo
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.parameters.require("client")
        try identity.requireAccess(toClient: client)
        try identity.require(.admin, .staff)
        let body = try await JSONBody<CreateQuoteRequest>(request, context: context)
        let input = body.value
        let plan = try input.plan.map { name in
            guard let plan = Plan(rawValue: name) else { throw APIError.badRequest("plan must be none, monthly or one-time") }
            return plan
        }
        let services = input.services.map { QuoteService(name: $0.name, minutes: Minutes($0.minutes)) }
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            QuoteInfo(try await Catalog.createQuote(db, client: client, project: input.project, plan: plan, services: services))
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        return try JSONResponse(try await catalog.quotes(client: client).map(QuoteInfo.init))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse(QuoteInfo(try await visibleQuote(context)))
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await action(request, context, staffOnly: true) { db, id, _, _ in QuoteInfo(try await Catalog.sendQuote(db, id)) }
    }

    /// The client accepts, or staff on its behalf (recorded as such in the evidence).
    @Sendable func accept(_ request: Request, context: AppRequestContext) async throws -> Response {
        let policy = policy
        return try await action(request, context, staffOnly: false) { db, id, identity, _ in
            let (accepted, invoice) = try await Catalog.acceptQuote(
                db, id, policy: policy, tokenID: identity.token.id, onBehalf: identity.role != .client)
            var info = QuoteInfo(accepted)
            info.invoice = invoice.number.description
            return Accepted(quote: info, invoice: InvoiceInfo(invoice))
        }
    }

    @Sendable func reject(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await action(request, context, staffOnly: false) { db, id, _, reason in
            QuoteInfo(try await Catalog.rejectQuote(db, id, reason: reason))
        }
    }

    /// Staff mark a sent quote that lapsed as expired.
    @Sendable func expire(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await action(request, context, staffOnly: true) { db, id, _, _ in QuoteInfo(try await Catalog.expireQuote(db, id)) }
    }

    /// Staff issue month N's invoice of a monthly contract (month 1 comes with the acceptance).
    @Sendable func invoiceMonth(_ request: Request, context: AppRequestContext) async throws -> Response {
        let month = try Self.month(context)
        return try await action(request, context, staffOnly: true, status: .created) { db, id, _, _ in
            InvoiceInfo(try await Catalog.issueContractInvoice(db, quote: id, month: month))
        }
    }

    /// Staff close an ended month: its unused minutes expire per the contract's carry-over rule.
    @Sendable func closeMonth(_ request: Request, context: AppRequestContext) async throws -> Response {
        let month = try Self.month(context)
        return try await action(request, context, staffOnly: true) { db, id, _, _ in
            let (expired, entry) = try await Catalog.closeContractMonth(db, quote: id, month: month)
            return ClosedMonth(quote: id, month: month, expiredMinutes: expired.rawValue, entry: entry?.entry.sequence)
        }
    }

    /// The client (or staff for it) cancels a monthly contract, allowed from the minimum month on.
    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await action(request, context, staffOnly: false) { db, id, _, _ in
            let contract = try await Catalog.cancelContract(db, quote: id)
            return ContractInfo(quote: id, lastMonth: contract.lastMonth, cancelled: contract.cancelledAt?.rawValue)
        }
    }

    /// An action on the quote in the path: 404 unless the caller sees the quote, 403
    /// for a client token on a staff action, then run once per idempotency key with
    /// the optional `{"reason"}` body.
    private func action<Result: Encodable & Sendable>(
        _ request: Request, _ context: AppRequestContext, staffOnly: Bool, status: HTTPResponse.Status = .ok,
        perform: @escaping @Sendable (_ db: any SQLDatabase, _ quote: String, _ identity: Identity, _ reason: String?) async throws -> Result
    ) async throws -> Response {
        let identity = try context.requireIdentity()
        let quote = try await visibleQuote(context)
        if staffOnly { try identity.require(.admin, .staff) }
        let body = try await JSONBody<ReasonRequest>(request, context: context, emptyAllowed: true)
        let (id, reason) = (quote.quote.id, body.value.reason)
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog, status: status) { db in
            try await perform(db, id, identity, reason)
        }
    }

    private static func month(_ context: AppRequestContext) throws -> Int {
        guard let month = Int(try context.parameters.require("month")) else { throw APIError.badRequest("the month is a number, 1 to 12") }
        return month
    }

    struct ClosedMonth: Encodable, Sendable {
        var quote: String
        var month: Int
        var expiredMinutes: Int64
        var entry: Int64?

        enum CodingKeys: String, CodingKey {
            case quote, month, entry
            case expiredMinutes = "expired_minutes"
        }
    }

    struct ContractInfo: Encodable, Sendable {
        var quote: String
        var lastMonth: Int
        var cancelled: Int64?

        enum CodingKeys: String, CodingKey {
            case quote, cancelled
            case lastMonth = "last_month"
        }
    }

    /// The quote in the path, or 404 if it does not exist or belongs to another client.
    private func visibleQuote(_ context: AppRequestContext) async throws -> StoredQuote {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("quote")
        guard let stored = try await catalog.quote(id), identity.canAccess(client: stored.quote.client) else {
            throw APIError.notFound("no quote \(id)")
        }
        return stored
    }
}

extension AppRequestContext {
    /// The `{client}` of the path, once the caller is known to see it (404 otherwise).
    func accessibleClient() throws -> String {
        let identity = try requireIdentity()
        let client = try parameters.require("client")
        try identity.requireAccess(toClient: client)
        return client
    }
}
