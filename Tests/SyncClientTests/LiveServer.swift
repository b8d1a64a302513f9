import Catalog
import ContentStore
import FollowUpServer
import Foundation
import Logging
import Testing
@testable import SyncClient

/// A real server on a loopback port over a fresh storage with clients acme (project
/// "site", overage allowed) and globex (project "web"), and a token per role.
struct LiveServer {
    let root: String
    let storage: Storage
    var configuration: FollowUpConfiguration { storage.configuration }
    let url: String
    let staffToken: String
    let acmeToken: String
    let globexToken: String

    static func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    func api(_ token: String) throws -> APIClient {
        APIClient(endpoint: try ServerEndpoint(url: url, token: token), logger: Self.quietLogger())
    }

    func pusher() throws -> Pusher {
        Pusher(api: try api(staffToken), chunker: try Chunker(.standard), logger: Self.quietLogger())
    }

    func puller(_ token: String, compression: Bool = false) throws -> Puller {
        Puller(api: try api(token), compression: compression, logger: Self.quietLogger())
    }

    static func run(_ body: (LiveServer) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("followup-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = FollowUpConfiguration()
        configuration.storagePath = root + "/storage"
        configuration.port = 0
        configuration.packSize = 1 << 20
        let (storage, _) = try await Storage.initialize(configuration, logger: quietLogger())
        do {
            _ = try await storage.catalog.createClient(slug: "acme", name: "Acme")
            _ = try await storage.catalog.createProject(client: "acme", slug: "site", title: "Site", allowOverage: true)
            _ = try await storage.catalog.createClient(slug: "globex", name: "Globex")
            _ = try await storage.catalog.createProject(client: "globex", slug: "web", title: "Web")
            let staff = try await storage.catalog.createToken(name: "staff", role: .staff).secret
            let acme = try await storage.catalog.createToken(name: "acme", role: .client, client: "acme").secret
            let globex = try await storage.catalog.createToken(name: "globex", role: .client, client: "globex").secret

            try await serve(storage, configuration: configuration) { url in
                let server = LiveServer(
                    root: root, storage: storage, url: url, staffToken: staff, acmeToken: acme, globexToken: globex)
                try await body(server)
            }
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
    }
}

extension LiveServer {
    /// Runs the server over `storage` on a loopback port while `body` runs with its URL.
    static func serve(_ storage: Storage, configuration: FollowUpConfiguration, _ body: (String) async throws -> Void) async throws {
        var configuration = configuration
        configuration.port = 0
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(storage: storage, configuration: configuration, logger: quietLogger()) { continuation.yield($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
        }
    }
}

/// Files on disk for the sync tests.
enum TestTree {
    static func write(_ root: String, _ path: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    static func read(_ root: String, _ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)))
    }

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// Every entry under `root` (folders as "/", files as their bytes), minus `excluding`.
    static func snapshot(_ root: String, excluding: Set<String> = []) throws -> [String: [UInt8]] {
        var entries: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            if excluding.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { continue }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
            entries[path] = isDirectory.boolValue ? Array("/".utf8) : try read(root, path)
        }
        return entries
    }

    /// Expects the trees under `source` and `pulled` to hold the same entries and bytes.
    static func expectSame(_ source: String, _ pulled: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try snapshot(source)
        let actual = try snapshot(pulled)
        #expect(actual.keys.sorted() == expected.keys.sorted(), sourceLocation: sourceLocation)
        for (path, bytes) in expected where actual[path] != bytes {
            Issue.record("\(path) differs", sourceLocation: sourceLocation)
        }
    }

    static func modificationTime(_ path: String) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }
}
