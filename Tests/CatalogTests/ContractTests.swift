import Foundation
import Ledger
import Testing
@testable import Catalog

@Suite("Catalog: quote expiry and contract cancellation")
struct ContractTests {
    @Test("a sent quote expires; a draft or an accepted one cannot")
    func expiry() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let quote = try await catalog.createQuote(client: "zeta", project: "website", services: [QuoteService(name: "Design", minutes: 60)])
        await #expect(throws: LedgerError.self) { _ = try await catalog.expireQuote(quote.quote.id) }
        _ = try await catalog.sendQuote(quote.quote.id)
        #expect(try await catalog.expireQuote(quote.quote.id).quote.state == .expired)
        #expect(try await fixture.events("zeta").last?.kind == "quote.state")
        await #expect(throws: CatalogError.self) { _ = try await catalog.expireQuote("Q99") }
        await catalog.close()
    }

    @Test("a monthly contract cancels only from its minimum month, once")
    func cancellation() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let (id, _) = try await fixture.acceptedQuote(
            client: "acme", project: "social", services: [QuoteService(name: "Social media", minutes: 1200)], at: rome(2026, 3, 2, 10))
        await #expect(throws: LedgerError.minimumTermNotReached(minimumMonths: 3, currentMonth: 2)) {
            _ = try await catalog.cancelContract(quote: id, at: rome(2026, 4, 15, 10))
        }
        let cancelled = try await catalog.cancelContract(quote: id, at: rome(2026, 5, 15, 10))
        #expect(cancelled.cancelledAt != nil)
        #expect(try await fixture.events("acme").last?.kind == "contract.state")
        await #expect(throws: LedgerError.contractAlreadyCancelled) { _ = try await catalog.cancelContract(quote: id, at: rome(2026, 6, 1, 10)) }
        // Months after the cancelled one are no longer billable.
        await #expect(throws: LedgerError.self) { _ = try await catalog.issueContractInvoice(quote: id, month: 4, at: rome(2026, 6, 1, 9)) }
        await catalog.close()
    }
}
