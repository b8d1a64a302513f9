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

@Suite("Catalog: closing contract months")
struct ContractMonthTests {
    func afterMonth(_ catalog: Catalog, _ quote: String, _ month: Int) async throws -> Date {
        let contract = try #require(try await catalog.contract(quote: quote))
        return Date(timeIntervalSince1970: TimeInterval(contract.month(month).ends.rawValue + 60))
    }

    @Test("with carry-over nothing expires at a month's end; a month closes once, and only after it ended")
    func carryOver() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let (id, invoice) = try await fixture.acceptedQuote(
            client: "acme", project: "social", services: [QuoteService(name: "Social media", minutes: 1200)], at: rome(2026, 3, 2, 10))
        _ = try await catalog.recordPayment(invoice.number, amount: invoice.total, reference: "M1", at: rome(2026, 3, 3, 10))
        await #expect(throws: CatalogError.self) { _ = try await catalog.closeContractMonth(quote: id, month: 1, at: rome(2026, 3, 20, 10)) }
        let end = try await afterMonth(catalog, id, 1)
        let closed = try await catalog.closeContractMonth(quote: id, month: 1, at: end)
        #expect(closed.expired == .zero && closed.entry == nil)
        await #expect(throws: CatalogError.self) { _ = try await catalog.closeContractMonth(quote: id, month: 1, at: end) }
        await catalog.close()
    }

    @Test("without carry-over a month's unused minutes expire as a ledger entry")
    func noCarryOver() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        var policy = PricingPolicy.standard
        policy.carryOverUnusedMinutes = false
        let (id, invoice) = try await fixture.acceptedQuote(
            client: "acme", project: "social", services: [QuoteService(name: "Social media", minutes: 1200)], at: rome(2026, 3, 2, 10), policy: policy)
        _ = try await catalog.recordPayment(invoice.number, amount: invoice.total, reference: "M1", at: rome(2026, 3, 3, 10))
        _ = try await catalog.logHours(client: "acme", project: "social", log: HourLog(minutes: 200, service: "Posts", staff: "ops"), alertThresholds: [])
        let closed = try await catalog.closeContractMonth(quote: id, month: 1, at: try await afterMonth(catalog, id, 1))
        #expect(closed.expired == 1000)
        #expect(try await catalog.balances(client: "acme")["social"]?.remaining == .zero)
        #expect(try await catalog.verifyLedgerChains().isEmpty)
        await catalog.close()
    }
}
