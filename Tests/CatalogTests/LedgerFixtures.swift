import Foundation
import Ledger
import Testing
@testable import Catalog

/// The instant a Europe/Rome wall clock shows, as the catalog's `Date`.
func rome(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
    guard let date = CivilDate(year: year, month: month, day: day), let time = TimeOfDay(hour: hour, minute: minute) else {
        fatalError("no such Rome time")
    }
    return Date(timeIntervalSince1970: Double(CivilTimeZone.europeRome.instant(date, time).rawValue))
}

func invoiceNumber(_ text: String) -> InvoiceNumber {
    guard let number = InvoiceNumber(text) else { fatalError("not an invoice number: \(text)") }
    return number
}

/// A catalog with three clients, one per plan:
/// - "acme" (monthly): project "social" (phases Strategy, Content);
/// - "zeta" (one-time): projects "website" (phases Design, Build) and "flex" (overage allowed);
/// - "nop" (no plan): project "misc".
struct LedgerFixture {
    let directory: TemporaryDirectory
    let catalog: Catalog

    static func make() async throws -> LedgerFixture {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let created = rome(2026, 3, 1, 9)
        _ = try await catalog.createClient(slug: "acme", name: "Acme", plan: .monthly, at: created)
        _ = try await catalog.createClient(slug: "zeta", name: "Zeta", plan: .oneTime, at: created)
        _ = try await catalog.createClient(slug: "nop", name: "No Plan", plan: .none, at: created)
        _ = try await catalog.createProject(client: "acme", slug: "social", title: "Social", phases: ["Strategy", "Content"], at: created)
        _ = try await catalog.createProject(client: "zeta", slug: "website", title: "Website", phases: ["Design", "Build"], at: created)
        _ = try await catalog.createProject(client: "zeta", slug: "flex", title: "Flex", allowOverage: true, at: created)
        _ = try await catalog.createProject(client: "nop", slug: "misc", title: "Misc", at: created)
        return LedgerFixture(directory: directory, catalog: catalog)
    }

    /// Creates, sends and accepts a quote; returns its id and invoice.
    @discardableResult
    func acceptedQuote(
        client: String, project: String, services: [QuoteService], at time: Date, policy: PricingPolicy = .standard
    ) async throws -> (id: String, invoice: Invoice) {
        let quote = try await catalog.createQuote(client: client, project: project, services: services, at: time)
        _ = try await catalog.sendQuote(quote.quote.id, at: time)
        let (_, invoice) = try await catalog.acceptQuote(quote.quote.id, policy: policy, tokenID: 1, onBehalf: false, at: time)
        return (quote.quote.id, invoice)
    }

    /// Zeta's website paid in full: 20 h one-time → 1320 minutes credited (ledger entry 1).
    func paidWebsite(at time: Date = rome(2026, 3, 2, 10)) async throws -> Invoice {
        let (_, invoice) = try await acceptedQuote(
            client: "zeta", project: "website", services: [QuoteService(name: "Design", minutes: 1200)], at: time)
        return try await catalog.recordPayment(invoice.number, amount: invoice.total, reference: "TRX-1", at: time).invoice
    }

    func events(_ client: String, after cursor: Int64 = 0) async throws -> [ChangeRecord] {
        try await catalog.changes(client: client, since: cursor, limit: 10_000).events
    }

    func log(_ minutes: Minutes, service: String = "Design", phase: String? = nil) -> HourLog {
        HourLog(minutes: minutes, service: service, phase: phase, note: "work", staff: "mario")
    }
}
