import Foundation
import Ledger
import Testing
@testable import Catalog

@Suite("Catalog: clients and projects")
struct ClientProjectTests {
    @Test("slugs are 1-63 of [a-z0-9-], not starting or ending with -",
          arguments: ["a", "0", "acme", "acme-2026", "9lives", "a-b-c", "a--b", String(repeating: "x", count: 63)])
    func validSlugs(_ slug: String) {
        #expect(Catalog.isValidSlug(slug))
    }

    @Test("anything else is not a slug",
          arguments: ["", "-", "-acme", "acme-", "Acme", "acme_co", "acme co", "acmé", "a.b", "a/b", "..", "a\n",
                      String(repeating: "x", count: 64)])
    func invalidSlugs(_ slug: String) {
        #expect(!Catalog.isValidSlug(slug))
    }

    @Test("a client is created once, read back, and listed by slug")
    func clients() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        let zeta = try await catalog.createClient(slug: "zeta", name: "Zeta S.r.l.", plan: .oneTime, rateCents: 6_000, at: created)
        #expect(zeta == Client(slug: "zeta", name: "Zeta S.r.l.", plan: .oneTime, rateCents: 6_000, created: created))
        let acme = try await catalog.createClient(slug: "acme", name: "Acme")
        #expect(acme.plan == Plan.none && acme.rateCents == nil)

        #expect(try await catalog.client("zeta") == zeta)
        #expect(try await catalog.client("nobody") == nil)
        #expect(try await catalog.clients().map(\.slug) == ["acme", "zeta"])

        await #expect(throws: CatalogError.conflict("client acme already exists")) {
            _ = try await catalog.createClient(slug: "acme", name: "Another Acme")
        }
        #expect(try await catalog.client("acme")?.name == "Acme")
        await catalog.close()
    }

    @Test("a client needs a valid slug, a name of 1-200 characters and a non-negative rate")
    func clientValidation() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        for (slug, name, rate) in [("Bad", "x", nil), ("ok", "", nil), ("ok", "   ", nil), ("ok", "two\nlines", nil),
                                   ("ok", String(repeating: "n", count: 201), nil), ("ok", "ok", Int64(-1))] {
            await #expect(throws: CatalogError.self) { _ = try await catalog.createClient(slug: slug, name: name, rateCents: rate) }
        }
        #expect(try await catalog.clients().isEmpty)
        _ = try await catalog.createClient(slug: "ok", name: String(repeating: "n", count: 200), rateCents: 0)
        await catalog.close()
    }

    @Test("a project keeps its phases in order; listing is by slug")
    func projects() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        _ = try await catalog.createClient(slug: "other", name: "Other")
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        let site = try await catalog.createProject(
            client: "acme", slug: "website", title: "New website", phases: ["Design", "Build", "Launch"], allowOverage: true, at: created)
        #expect(site == Project(client: "acme", slug: "website", title: "New website", phases: ["Design", "Build", "Launch"],
                                allowOverage: true, created: created))
        let brand = try await catalog.createProject(client: "acme", slug: "brand", title: "Brand book")
        #expect(brand.phases.isEmpty && !brand.allowOverage)
        // The same project slug under another client is another project.
        _ = try await catalog.createProject(client: "other", slug: "website", title: "Their website", phases: ["Only"])

        #expect(try await catalog.project(client: "acme", slug: "website") == site)
        #expect(try await catalog.project(client: "acme", slug: "missing") == nil)
        #expect(try await catalog.projects(client: "acme") == [brand, site])
        #expect(try await catalog.projects(client: "other").map(\.phases) == [["Only"]])
        await #expect(throws: CatalogError.notFound("no client nobody")) { _ = try await catalog.projects(client: "nobody") }
        await catalog.close()
    }

    @Test("a project needs an existing client and a free slug; phases must be valid and unique")
    func projectRefusals() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        _ = try await catalog.createProject(client: "acme", slug: "website", title: "Website")

        await #expect(throws: CatalogError.notFound("no client nobody")) {
            _ = try await catalog.createProject(client: "nobody", slug: "website", title: "Website")
        }
        await #expect(throws: CatalogError.conflict("project acme/website already exists")) {
            _ = try await catalog.createProject(client: "acme", slug: "website", title: "Again")
        }
        for phases in [["Design", "Design"], [""], ["tab\there"], [String(repeating: "p", count: 101)]] {
            await #expect(throws: CatalogError.self) {
                _ = try await catalog.createProject(client: "acme", slug: "other", title: "Other", phases: phases)
            }
        }
        await #expect(throws: CatalogError.self) { _ = try await catalog.createProject(client: "acme", slug: "Other", title: "x") }
        await #expect(throws: CatalogError.self) { _ = try await catalog.createProject(client: "acme", slug: "other", title: "") }

        // Refusals leave no project and no feed event behind.
        #expect(try await catalog.projects(client: "acme").map(\.slug) == ["website"])
        #expect(try await catalog.latestChangeSequence(client: "acme") == 1)
        await catalog.close()
    }

    @Test("clients and projects survive reopening the catalog")
    func persistence() async throws {
        let directory = try TemporaryDirectory()
        let first = try await openCatalog(directory)
        let client = try await first.createClient(slug: "acme", name: "Acme", plan: .monthly, rateCents: 5_000)
        let project = try await first.createProject(client: "acme", slug: "social", title: "Social", phases: ["Plan", "Post"])
        await first.close()
        let second = try await openCatalog(directory)
        #expect(try await second.client("acme") == client)
        #expect(try await second.projects(client: "acme") == [project])
        await second.close()
    }
}
