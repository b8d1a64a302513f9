import Catalog
import ContentStore
import FollowUpServer
import Foundation
import Logging
import SyncProtocol
import Testing
@testable import SyncClient

/// `followup push` against the real server on a loopback port.
@Suite("Push against a live server")
struct PusherTests {
    func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    func write(_ root: String, _ path: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test("push, re-push (nothing travels), change one file (only its new chunks travel), delete one")
    func pushCycle() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("followup-push-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = FollowUpConfiguration()
        configuration.storagePath = root + "/storage"
        configuration.port = 0
        configuration.packSize = 1 << 20
        let (storage, _) = try await Storage.initialize(configuration, logger: quietLogger())
        _ = try await storage.catalog.createClient(slug: "acme", name: "Acme")
        _ = try await storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        let staff = try await storage.catalog.createToken(name: "staff", role: .staff).secret

        let folder = root + "/deliverables"
        try write(folder, "video/master.mov", bytes(900_000, seed: 1))
        try write(folder, "brand/logo é (final).png", bytes(40_000, seed: 2))
        try write(folder, "brand/copy of logo.png", bytes(40_000, seed: 2))
        try write(folder, "empty.txt", [])
        try write(folder, ".followup/state.json", Array("{}".utf8))

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(storage: storage, configuration: configuration, logger: quietLogger()) { continuation.yield($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let api = APIClient(endpoint: try ServerEndpoint(url: "http://127.0.0.1:\(port)", token: staff), logger: quietLogger())
            let pusher = Pusher(api: api, chunker: try Chunker(.standard), logger: quietLogger())

            let first = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(first.files == 4 && first.written == 4)
            #expect(first.uploadedBytes == 940_000)        // the copy of the logo is deduplicated
            #expect(first.deduplicatedBytes == 40_000)

            let again = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(again.uploadedBytes == 0 && again.written == 0 && again.unchanged == 4)

            var master = bytes(900_000, seed: 1)
            master.replaceSubrange(450_000..<450_100, with: bytes(100, seed: 3))
            try write(folder, "video/master.mov", master)
            try FileManager.default.removeItem(atPath: folder + "/brand/copy of logo.png")
            let changed = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(changed.written == 1 && changed.deleted == 1)
            #expect(changed.uploadedBytes > 0 && changed.uploadedBytes <= 2 * 262_144)  // a chunk or two, not the file

            let files = try await storage.catalog.files(client: "acme", project: "site")
            #expect(files.map(\.path).sorted() == ["brand/logo é (final).png", "empty.txt", "video/master.mov"])
            let video = try #require(files.first { $0.path == "video/master.mov" })
            #expect(try await storage.store.contents(of: try #require(video.manifest)) == master)
            group.cancelAll()
        }
        await storage.close()
    }
}
