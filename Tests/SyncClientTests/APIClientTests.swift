import Catalog
import FollowUpServer
import Foundation
import Logging
import SyncProtocol
import Testing
@testable import SyncClient

/// The command line's HTTP client against the real server on a loopback port.
@Suite("API client against a live server")
struct APIClientTests {
    func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// Starts the server on 127.0.0.1 with port 0, runs `body` with its URL and tokens, stops it.
    func withServer(_ body: @Sendable (String, _ admin: String, _ staff: String, _ acme: String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("followup-client-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = FollowUpConfiguration()
        configuration.storagePath = directory
        configuration.port = 0
        let (storage, admin) = try await Storage.initialize(configuration, logger: quietLogger())
        _ = try await storage.catalog.createClient(slug: "acme", name: "Acme")
        let staff = try await storage.catalog.createToken(name: "staff", role: .staff).secret
        let acme = try await storage.catalog.createToken(name: "acme", role: .client, client: "acme").secret
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(storage: storage, configuration: configuration, logger: quietLogger()) { port in
            continuation.yield(port)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body("http://127.0.0.1:\(port)", admin, staff, acme)
            group.cancelAll()
        }
        await storage.close()
    }

    @Test("create a client and a project, then read the feed as the client")
    func roundTrip() async throws {
        try await withServer { url, admin, staff, acme in
            let asAdmin = APIClient(endpoint: try ServerEndpoint(url: url, token: admin), logger: quietLogger())
            #expect(try await asAdmin.health().status == "ok")
            let created = try await asAdmin.createClient(CreateClientRequest(slug: "initech", name: "Initech", plan: "monthly"))
            #expect(created.slug == "initech")

            let asStaff = APIClient(endpoint: try ServerEndpoint(url: url + "/", token: staff), logger: quietLogger())
            let project = try await asStaff.createProject(client: "acme", CreateProjectRequest(slug: "site", title: "Site", phases: ["design"]))
            #expect(project.phases == ["design"])

            let asAcme = APIClient(endpoint: try ServerEndpoint(url: url, token: acme), logger: quietLogger())
            let page = try await asAcme.changes(client: "acme", query: ChangesQuery(since: 0)!)
            #expect(page.events.map(\.kind) == [.projectState])
            #expect(try await asAcme.projects(client: "acme").map(\.slug) == ["site"])
        }
    }

    @Test("a retried create with the same key returns the first result")
    func idempotentRetry() async throws {
        try await withServer { url, _, staff, _ in
            let api = APIClient(endpoint: try ServerEndpoint(url: url, token: staff), logger: quietLogger())
            let request = CreateProjectRequest(slug: "brand", title: "Brand")
            let first = try await api.createProject(client: "acme", request, idempotencyKey: "same")
            let second = try await api.createProject(client: "acme", request, idempotencyKey: "same")
            #expect(first == second)
            #expect(try await api.projects(client: "acme").count == 1)
        }
    }

    @Test("server errors arrive with their code; a bad URL or a dead server is a clear error")
    func errors() async throws {
        try await withServer { url, _, _, acme in
            let api = APIClient(endpoint: try ServerEndpoint(url: url, token: acme), logger: quietLogger())
            await #expect(throws: RemoteError.server(status: 403, code: "forbidden", message: "this needs an admin or staff token")) {
                _ = try await api.createProject(client: "acme", CreateProjectRequest(slug: "x", title: "x"))
            }
            let stranger = APIClient(endpoint: try ServerEndpoint(url: url, token: "fu_wrong"), logger: quietLogger())
            await #expect(throws: RemoteError.self) { _ = try await stranger.clients() }
        }
        #expect(throws: RemoteError.self) { _ = try ServerEndpoint(url: "ftp://x", token: "t") }
        #expect(throws: RemoteError.self) { _ = try ServerEndpoint(url: "http://127.0.0.1:1", token: "") }
        let dead = APIClient(endpoint: try ServerEndpoint(url: "http://127.0.0.1:9", token: "t"), timeout: .seconds(1), logger: quietLogger())
        await #expect(throws: RemoteError.self) { _ = try await dead.health() }
    }
}
