import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import Testing
@testable import FollowUpServer

/// The business flow over HTTP: quote → accept → invoice → pay → log hours →
/// dispute → voucher, as the roles of the server issue allow it.
@Suite("Ledger API")
struct LedgerAPITests {
    /// POSTs `body` as `token` with a fresh idempotency key; returns the status and decoded body.
    func post<T: Decodable>(_ client: some TestClientProtocol, _ uri: String, _ token: String, _ body: String, as type: T.Type) async throws -> (HTTPResponse.Status, T?) {
        try await client.execute(uri: uri, method: .post, headers: .write(token), body: jsonBody(body)) { ($0.status, $0.decoded(T.self)) }
    }

    func get<T: Decodable>(_ client: some TestClientProtocol, _ uri: String, _ token: String, as type: T.Type) async throws -> (HTTPResponse.Status, T?) {
        try await client.execute(uri: uri, method: .get, headers: .bearer(token)) { ($0.status, $0.decoded(T.self)) }
    }

    struct Accepted: Decodable { let quote: QuoteInfo; let invoice: InvoiceInfo }

    @Test("quote → accept → pay → hours → dispute → voucher on a monthly client")
    func wholeFlow() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site", phases: ["design"])
        try await server.application.test(.router) { client in
            // Staff draft and send a quote of 20 h at the default 60.00 EUR; acme is monthly (40% off).
            let (created, quote) = try await post(client, "/v1/clients/acme/quotes", server.staff,
                                                  #"{"project":"site","services":[{"name":"Design","minutes":1200}]}"#, as: QuoteInfo.self)
            #expect(created == .created)
            let id = try #require(quote?.id)
            // The client cannot accept a draft.
            let (early, _) = try await post(client, "/v1/quotes/\(id)/accept", server.acme, "", as: Accepted.self)
            #expect(early == .unprocessableContent)
            #expect(try await post(client, "/v1/quotes/\(id)/send", server.staff, "", as: QuoteInfo.self).0 == .ok)

            // Accepting issues the invoice with the design's example figures.
            let (acceptStatus, accepted) = try await post(client, "/v1/quotes/\(id)/accept", server.acme, "", as: Accepted.self)
            #expect(acceptStatus == .ok)
            let invoice = try #require(accepted?.invoice)
            #expect(invoice.number.hasSuffix("/0001"))
            #expect(invoice.netCents == 72_000 && invoice.vatCents == 15_840 && invoice.totalCents == 87_840)
            #expect(accepted?.quote.acceptedSHA256?.count == 64)
            let path = invoice.number.replacingOccurrences(of: "/", with: "-")

            // A partial payment, a retried final payment (same key), then an over-payment.
            #expect(try await post(client, "/v1/invoices/\(path)/payments", server.staff, #"{"amount_cents":40000,"reference":"bonifico 1"}"#, as: InvoiceInfo.self).1?.status == "partially-paid")
            let final = #"{"amount_cents":47840,"reference":"bonifico 2"}"#
            let key = HTTPFields.bearer(server.staff, [.idempotencyKey: "pay-final"])
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/invoices/\(path)/payments", method: .post, headers: key, body: jsonBody(final)) { response in
                    #expect(response.status == .ok)
                    #expect(response.decoded(InvoiceInfo.self)?.status == "paid")
                }
            }
            #expect(try await post(client, "/v1/invoices/\(path)/payments", server.staff, #"{"amount_cents":1,"reference":"x"}"#, as: InvoiceInfo.self).0 == .unprocessableContent)

            // 20 h credited once; log 17 h (85%: the 80% alert), then 4 h more is refused (422).
            let (_, ledger) = try await get(client, "/v1/clients/acme/ledger", server.acme, as: LedgerResponse.self)
            #expect(ledger?.projects.first { $0.project == "site" }?.creditedMinutes == 1200)
            let (logged, entry) = try await post(client, "/v1/clients/acme/hours", server.staff,
                                                 #"{"project":"site","minutes":1020,"service":"Design","phase":"design","note":"mockups"}"#, as: EntryResult.self)
            #expect(logged == .created)
            #expect(entry?.remainingMinutes == 180 && entry?.alerts == [80])
            try await client.execute(uri: "/v1/clients/acme/hours", method: .post, headers: .write(server.staff),
                                     body: jsonBody(#"{"project":"site","minutes":240,"service":"Design"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.text.contains("180"))  // the message names the balance
            }
            // A client cannot log hours.
            #expect(try await post(client, "/v1/clients/acme/hours", server.acme, #"{"project":"site","minutes":10,"service":"x"}"#, as: EntryResult.self).0 == .forbidden)

            // The client disputes the entry; staff justify it: a voucher appears.
            let entryID = try #require(entry?.id)
            let (opened, dispute) = try await post(client, "/v1/clients/acme/disputes", server.acme,
                                                   #"{"entry":\#(entryID),"reason":"mockups were not delivered"}"#, as: DisputeInfo.self)
            #expect(opened == .created)
            let (_, resolved) = try await post(client, "/v1/disputes/\(try #require(dispute?.id))/resolve", server.staff,
                                               #"{"justified":true,"reason":"agreed"}"#, as: DisputeInfo.self)
            #expect(resolved?.state == "justified" && resolved?.voucher != nil)

            // Every step reached the client's feed.
            let (_, feed) = try await get(client, "/v1/clients/acme/changes?since=0&limit=100", server.acme, as: ChangesResponse.self)
            let kinds = Set(feed?.events.map(\.kind.rawValue) ?? [])
            #expect(kinds.isSuperset(of: ["quote.state", "invoice.state", "ledger.entry", "budget.alert", "dispute.state"]))
            #expect(feed?.events.map(\.seq) == Array(1...Int64(feed?.events.count ?? 0)))
        }
        await server.close()
    }

    @Test("another client's token gets 404 on every ledger route of acme")
    func otherClientSeesNothing() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        try await server.application.test(.router) { client in
            let (_, quote) = try await post(client, "/v1/clients/acme/quotes", server.staff, #"{"project":"site","services":[{"name":"Design","minutes":60}]}"#, as: QuoteInfo.self)
            let id = try #require(quote?.id)
            for uri in ["/v1/clients/acme/quotes", "/v1/quotes/\(id)", "/v1/clients/acme/invoices", "/v1/clients/acme/ledger",
                        "/v1/clients/acme/disputes", "/v1/clients/acme/tickets"] {
                #expect(try await client.execute(uri: uri, method: .get, headers: .bearer(server.globex)) { $0.status } == .notFound, "\(uri)")
            }
            for (uri, body) in [("/v1/quotes/\(id)/accept", ""), ("/v1/quotes/\(id)/reject", ""),
                                ("/v1/clients/acme/disputes", #"{"entry":1,"reason":"x"}"#), ("/v1/clients/acme/tickets", #"{"subject":"x","body":"y"}"#)] {
                #expect(try await client.execute(uri: uri, method: .post, headers: .write(server.globex), body: jsonBody(body)) { $0.status } == .notFound, "\(uri)")
            }
        }
        await server.close()
    }

    @Test("concurrent acceptances get gap-free invoice numbers")
    func concurrentAcceptances() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        try await server.application.test(.live) { client in
            var ids: [String] = []
            for _ in 0..<8 {
                let (_, quote) = try await post(client, "/v1/clients/acme/quotes", server.staff, #"{"project":"site","services":[{"name":"Work","minutes":60}]}"#, as: QuoteInfo.self)
                let id = try #require(quote?.id)
                _ = try await post(client, "/v1/quotes/\(id)/send", server.staff, "", as: QuoteInfo.self)
                ids.append(id)
            }
            let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
                for id in ids {
                    group.addTask { try await post(client, "/v1/quotes/\(id)/accept", server.acme, "", as: Accepted.self).1?.invoice.number }
                }
                var out: [String] = []
                for try await number in group { if let number { out.append(number) } }
                return out
            }
            let sequences = numbers.compactMap { Int($0.split(separator: "/").last ?? "") }.sorted()
            #expect(sequences == Array(1...8))
        }
        await server.close()
    }

    @Test("monthly contracts: staff invoice month 2; months close only when ended; the client cancels from month 3 only")
    func monthlyContract() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "social", title: "Social")
        try await server.application.test(.router) { client in
            let (_, quote) = try await post(client, "/v1/clients/acme/quotes", server.staff, #"{"project":"social","services":[{"name":"Posts","minutes":600}]}"#, as: QuoteInfo.self)
            let id = try #require(quote?.id)
            _ = try await post(client, "/v1/quotes/\(id)/send", server.staff, "", as: QuoteInfo.self)
            #expect(try await post(client, "/v1/quotes/\(id)/accept", server.acme, "", as: Accepted.self).0 == .ok)
            let (issued, second) = try await post(client, "/v1/quotes/\(id)/months/2/invoice", server.staff, "", as: InvoiceInfo.self)
            #expect(issued == .created && second?.number.hasSuffix("/0002") == true)
            #expect(try await post(client, "/v1/quotes/\(id)/months/2/invoice", server.staff, "", as: InvoiceInfo.self).0 == .conflict)
            #expect(try await post(client, "/v1/quotes/\(id)/months/2/invoice", server.acme, "", as: InvoiceInfo.self).0 == .forbidden)
            // Month 1 has not ended yet (the contract started now).
            #expect(try await post(client, "/v1/quotes/\(id)/months/1/close", server.staff, "", as: InvoiceInfo.self).0 == .conflict)
            // Cancelling in month 1 breaks the 3-month minimum: a rule violation.
            try await client.execute(uri: "/v1/quotes/\(id)/cancel", method: .post, headers: .write(server.acme)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode == "minimum_term_not_reached")
            }
        }
        await server.close()
    }

    @Test("tickets: a client opens one, staff see the queue, reply and close")
    func tickets() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            let (opened, ticket) = try await post(client, "/v1/clients/acme/tickets", server.acme, #"{"subject":"Site down","body":"500 on /"}"#, as: TicketInfo.self)
            #expect(opened == .created)
            let id = try #require(ticket?.id)
            #expect(ticket.map { $0.deadline > $0.opened } == true)
            #expect(try await get(client, "/v1/tickets", server.staff, as: [TicketInfo].self).1?.map(\.id) == [id])
            #expect(try await get(client, "/v1/tickets", server.acme, as: [TicketInfo].self).0 == .forbidden)
            let (_, replied) = try await post(client, "/v1/tickets/\(id)/replies", server.staff, #"{"body":"Looking into it"}"#, as: TicketInfo.self)
            #expect(replied?.firstResponse != nil)
            #expect(try await post(client, "/v1/tickets/\(id)/close", server.acme, "", as: TicketInfo.self).0 == .forbidden)
            let (closedStatus, closed) = try await post(client, "/v1/tickets/\(id)/close", server.staff, "", as: TicketInfo.self)
            #expect(closedStatus == .ok && closed?.state == "closed")
            #expect(try await get(client, "/v1/tickets", server.staff, as: [TicketInfo].self).1?.isEmpty == true)
            #expect(try await get(client, "/v1/clients/acme/tickets", server.acme, as: [TicketInfo].self).1?.map(\.state) == ["closed"])
        }
        await server.close()
    }
}
