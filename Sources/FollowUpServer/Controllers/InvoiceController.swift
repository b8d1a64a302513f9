import Catalog
import Hummingbird
import Ledger
import SyncProtocol

/// Invoices: the client reads its own; staff record payments (crediting the
/// hours once the invoice is paid) and apply vouchers.
struct InvoiceController {
    let catalog: Catalog

    func addRoutes(clients: RouterGroup<AppRequestContext>, invoices: RouterGroup<AppRequestContext>) {
        clients.get(use: list)
        invoices.get(":invoice", use: show)
            .post(":invoice/payments", use: pay)
            .post(":invoice/vouchers", use: applyVoucher)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        return try JSONResponse(try await catalog.invoices(client: client).map(InvoiceInfo.init))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse(InvoiceInfo(try await visibleInvoice(context)))
    }

    @Sendable func pay(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let invoice = try await visibleInvoice(context)
        try identity.require(.admin, .staff)
        let body = try await JSONBody<PaymentRequest>(request, context: context)
        let (number, amount, reference) = (invoice.number, Cents(body.value.amountCents), body.value.reference)
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog, status: .ok) { db in
            InvoiceInfo(try await Catalog.recordPayment(db, number, amount: amount, reference: reference).invoice)
        }
    }

    @Sendable func applyVoucher(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let invoice = try await visibleInvoice(context)
        try identity.require(.admin, .staff)
        let body = try await JSONBody<ApplyVoucherRequest>(request, context: context)
        let (number, code) = (invoice.number, body.value.code)
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog, status: .ok) { db in
            InvoiceInfo(try await Catalog.applyVoucher(db, code, to: number).invoice)
        }
    }

    private func visibleInvoice(_ context: AppRequestContext) async throws -> Invoice {
        let identity = try context.requireIdentity()
        let segment = try context.parameters.require("invoice")
        guard let number = InvoiceNumber(pathSegment: segment), let invoice = try await catalog.invoice(number),
              identity.canAccess(client: invoice.client)
        else { throw APIError.notFound("no invoice \(segment)") }
        return invoice
    }
}
