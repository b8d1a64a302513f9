import ContentStore
import Foundation
import Synchronization
import Testing
@testable import Catalog

/// Counts how often `perform` ran; a class so escaping closures can share it.
final class RunCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite("Catalog: idempotency keys")
struct IdempotencyTests {
    let scope = "POST /v1/clients/acme/projects"
    let hash = SHA256.hash("{\"slug\":\"site\"}").bytes

    /// Creates project "site" the way the server does: in `perform`, answering with its slug.
    func createSite(_ catalog: Catalog, key: String, hash: [UInt8], runs: RunCounter? = nil) async throws -> (response: StoredResponse, replayed: Bool) {
        try await catalog.idempotent(scope: scope, key: key, requestHash: hash) { db in
            runs?.increment()
            let project = try await Catalog.insertProject(db, client: "acme", slug: "site", title: "Site", phases: ["Design"])
            return StoredResponse(status: 201, body: Array("{\"slug\":\"\(project.slug)\"}".utf8))
        }
    }

    func catalogWithClient(_ directory: TemporaryDirectory) async throws -> Catalog {
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        return catalog
    }

    @Test("the same key and request twice: one project, the second answer replayed byte for byte")
    func replay() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await catalogWithClient(directory)
        let runs = RunCounter()
        let first = try await createSite(catalog, key: "key-1", hash: hash, runs: runs)
        let second = try await createSite(catalog, key: "key-1", hash: hash, runs: runs)
        #expect(!first.replayed && second.replayed)
        #expect(first.response == second.response)
        #expect(second.response == StoredResponse(status: 201, body: Array("{\"slug\":\"site\"}".utf8)))
        #expect(runs.value == 1)
        #expect(try await catalog.projects(client: "acme").count == 1)
        #expect(try await catalog.latestChangeSequence(client: "acme") == 1)
        await catalog.close()
    }

    @Test("the same key with a different request is a conflict and changes nothing")
    func differentRequest() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await catalogWithClient(directory)
        _ = try await createSite(catalog, key: "key-1", hash: hash)
        let runs = RunCounter()
        await #expect(throws: CatalogError.conflict("idempotency key key-1 was used for a different request")) {
            _ = try await catalog.idempotent(scope: scope, key: "key-1", requestHash: SHA256.hash("other").bytes) { db in
                runs.increment()
                _ = try await Catalog.insertProject(db, client: "acme", slug: "other", title: "Other")
                return StoredResponse(status: 201, body: [])
            }
        }
        #expect(runs.value == 0)
        #expect(try await catalog.projects(client: "acme").map(\.slug) == ["site"])
        #expect(try await catalog.latestChangeSequence(client: "acme") == 1)
        await catalog.close()
    }

    @Test("when perform throws nothing is kept, and a retry with the key runs again")
    func performThrows() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await catalogWithClient(directory)
        await #expect(throws: CatalogError.invalid("boom")) {
            _ = try await catalog.idempotent(scope: scope, key: "key-1", requestHash: hash) { db in
                _ = try await Catalog.insertProject(db, client: "acme", slug: "site", title: "Site")
                throw CatalogError.invalid("boom")
            }
        }
        #expect(try await catalog.projects(client: "acme").isEmpty)
        #expect(try await catalog.latestChangeSequence(client: "acme") == 0)

        let runs = RunCounter()
        let retry = try await createSite(catalog, key: "key-1", hash: hash, runs: runs)
        #expect(!retry.replayed && runs.value == 1)
        #expect(try await catalog.projects(client: "acme").map(\.slug) == ["site"])
        // The feed numbers the first successful change 1: the failed attempt left no gap.
        #expect(try await catalog.changes(client: "acme", since: 0, limit: 10).events.map(\.seq) == [1])
        await catalog.close()
    }

    @Test("a domain refusal inside perform is not recorded either")
    func refusalNotRecorded() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        // No client yet: insertProject refuses, so nothing is recorded under the key...
        await #expect(throws: CatalogError.notFound("no client acme")) { _ = try await createSite(catalog, key: "key-1", hash: hash) }
        // ...and once the client exists, the same key creates the project.
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        #expect(try await createSite(catalog, key: "key-1", hash: hash).replayed == false)
        await catalog.close()
    }

    @Test("keys are scoped; an empty body round-trips")
    func scopesAndEmptyBody() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let runs = RunCounter()
        for scope in ["POST /v1/clients", "POST /v1/tokens", "POST /v1/clients"] {
            let result = try await catalog.idempotent(scope: scope, key: "same key", requestHash: [1, 2, 3]) { _ in
                runs.increment()
                return StoredResponse(status: 204, body: [])
            }
            #expect(result.response == StoredResponse(status: 204, body: []))
        }
        #expect(runs.value == 2)
        await catalog.close()
    }

    @Test("idempotent client creation: a retry gets the first answer, a new key gets the conflict")
    func idempotentClient() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let request = SHA256.hash("{\"slug\":\"acme\",\"name\":\"Acme\"}").bytes
        @Sendable func create(key: String) async throws -> (response: StoredResponse, replayed: Bool) {
            try await catalog.idempotent(scope: "POST /v1/clients", key: key, requestHash: request) { db in
                let client = try await Catalog.insertClient(db, slug: "acme", name: "Acme", plan: .monthly)
                return StoredResponse(status: 201, body: Array(try JSONEncoder().encode(client)))
            }
        }
        let first = try await create(key: "c-1")
        let retry = try await create(key: "c-1")
        #expect(!first.replayed && retry.replayed && retry.response == first.response)
        let decoded = try JSONDecoder().decode(Client.self, from: Data(first.response.body))
        #expect(try await catalog.client("acme") == decoded)
        await #expect(throws: CatalogError.conflict("client acme already exists")) { _ = try await create(key: "c-2") }
        await catalog.close()
    }

    @Test("keys are 1-200 printable ASCII characters",
          arguments: ["", String(repeating: "k", count: 201), "tab\there", "new\nline", "caffè", "\u{7F}"])
    func invalidKeys(_ key: String) async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let runs = RunCounter()
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.idempotent(scope: "s", key: key, requestHash: [1]) { _ in
                runs.increment()
                return StoredResponse(status: 200, body: [])
            }
        }
        #expect(runs.value == 0)
        await catalog.close()
    }

    @Test("the longest key and one with spaces and punctuation are fine")
    func validKeys() {
        #expect(Catalog.isValidIdempotencyKey(String(repeating: "k", count: 200)))
        #expect(Catalog.isValidIdempotencyKey("push 2026-11-27T10:00:00Z #1 ~!"))
        #expect(Catalog.isValidIdempotencyKey("550e8400-e29b-41d4-a716-446655440000"))
    }
}
