import Foundation
import NIOHTTP1
import SyncProtocol

/// The hours ledger over the API: quotes, invoices, hours, disputes, tickets.
extension APIClient {
    /// `2026/0001` → `2026-0001`, the form invoice numbers take in paths.
    static func invoicePath(_ number: String) -> String {
        escape(number.replacingOccurrences(of: "/", with: "-"))
    }

    private func change<Response: Decodable>(_ path: String, _ body: some Encodable) async throws -> Response {
        try await send(.POST, path, body: body, idempotencyKey: UUID().uuidString)
    }

    public func createQuote(client: String, _ body: CreateQuoteRequest) async throws -> QuoteInfo {
        try await change("/v1/clients/\(Self.escape(client))/quotes", body)
    }

    public func quotes(client: String) async throws -> [QuoteInfo] {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/quotes")
    }

    public func sendQuote(_ id: String) async throws -> QuoteInfo {
        try await change("/v1/quotes/\(Self.escape(id))/send", ReasonRequest())
    }

    public struct Accepted: Decodable, Sendable {
        public var quote: QuoteInfo
        public var invoice: InvoiceInfo
    }

    public func acceptQuote(_ id: String) async throws -> Accepted {
        try await change("/v1/quotes/\(Self.escape(id))/accept", ReasonRequest())
    }

    public func rejectQuote(_ id: String, reason: String?) async throws -> QuoteInfo {
        try await change("/v1/quotes/\(Self.escape(id))/reject", ReasonRequest(reason: reason))
    }

    public func expireQuote(_ id: String) async throws -> QuoteInfo {
        try await change("/v1/quotes/\(Self.escape(id))/expire", ReasonRequest())
    }

    public func invoiceContractMonth(quote id: String, month: Int) async throws -> InvoiceInfo {
        try await change("/v1/quotes/\(Self.escape(id))/months/\(month)/invoice", ReasonRequest())
    }

    public struct ClosedMonth: Decodable, Sendable {
        public var quote: String
        public var month: Int
        public var expiredMinutes: Int64

        enum CodingKeys: String, CodingKey {
            case quote, month
            case expiredMinutes = "expired_minutes"
        }
    }

    public func closeContractMonth(quote id: String, month: Int) async throws -> ClosedMonth {
        try await change("/v1/quotes/\(Self.escape(id))/months/\(month)/close", ReasonRequest())
    }

    public struct CancelledContract: Decodable, Sendable {
        public var quote: String
        public var lastMonth: Int

        enum CodingKeys: String, CodingKey {
            case quote
            case lastMonth = "last_month"
        }
    }

    public func cancelContract(quote id: String) async throws -> CancelledContract {
        try await change("/v1/quotes/\(Self.escape(id))/cancel", ReasonRequest())
    }

    public func invoices(client: String) async throws -> [InvoiceInfo] {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/invoices")
    }

    public func pay(invoice number: String, _ body: PaymentRequest) async throws -> InvoiceInfo {
        try await change("/v1/invoices/\(Self.invoicePath(number))/payments", body)
    }

    public func applyVoucher(_ code: String, to number: String) async throws -> InvoiceInfo {
        try await change("/v1/invoices/\(Self.invoicePath(number))/vouchers", ApplyVoucherRequest(code: code))
    }

    public func logHours(client: String, _ body: HourLogRequest) async throws -> EntryResult {
        try await change("/v1/clients/\(Self.escape(client))/hours", body)
    }

    public func reverse(client: String, entry: Int64, reason: String) async throws -> LedgerEntryInfo {
        try await change("/v1/clients/\(Self.escape(client))/ledger/\(entry)/reverse", ReasonRequest(reason: reason))
    }

    public func ledger(client: String, project: String? = nil) async throws -> LedgerResponse {
        let query = project.map { "?project=\(Self.escape($0))" } ?? ""
        return try await send(.GET, "/v1/clients/\(Self.escape(client))/ledger\(query)")
    }

    public func openDispute(client: String, _ body: OpenDisputeRequest) async throws -> DisputeInfo {
        try await change("/v1/clients/\(Self.escape(client))/disputes", body)
    }

    public func resolveDispute(_ id: String, _ body: ResolveDisputeRequest) async throws -> DisputeInfo {
        try await change("/v1/disputes/\(Self.escape(id))/resolve", body)
    }

    public func disputes(client: String) async throws -> [DisputeInfo] {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/disputes")
    }

    public func openTicket(client: String, _ body: OpenTicketRequest) async throws -> TicketInfo {
        try await change("/v1/clients/\(Self.escape(client))/tickets", body)
    }

    public func tickets(client: String?) async throws -> [TicketInfo] {
        try await send(.GET, client.map { "/v1/clients/\(Self.escape($0))/tickets" } ?? "/v1/tickets")
    }

    public func replyTicket(_ id: String, body: String) async throws -> TicketInfo {
        try await change("/v1/tickets/\(Self.escape(id))/replies", TicketReplyRequest(body: body))
    }

    public func closeTicket(_ id: String) async throws -> TicketInfo {
        try await change("/v1/tickets/\(Self.escape(id))/close", ReasonRequest())
    }
}
