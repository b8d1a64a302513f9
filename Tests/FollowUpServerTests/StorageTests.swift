import Catalog
import ContentStore
import Foundation
import Logging
import Testing
@testable import FollowUpServer

final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("followup-server-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test("the built-in defaults are exactly the shipped config/followup.yaml")
    func defaults() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shipped = try await FollowUpConfiguration.load(file: root.appendingPathComponent("config/followup.yaml").path, environment: [:])
        #expect(shipped == FollowUpConfiguration())
    }

    @Test("a file's values are read and FOLLOWUP_* variables override them")
    func fileAndEnvironment() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("c.yaml", """
            server:
              port: 9000
            storage:
              path: /srv/data
            billing:
              vat_percent: 10
            """)
        let file = directory.path + "/c.yaml"
        let fromFile = try await FollowUpConfiguration.load(file: file, environment: [:])
        #expect(fromFile.port == 9000 && fromFile.storagePath == "/srv/data" && fromFile.vatPercent == 10)
        let overridden = try await FollowUpConfiguration.load(file: file, environment: ["FOLLOWUP_SERVER_PORT": "9100", "FOLLOWUP_STORAGE_PATH": "/tmp/x"])
        #expect(overridden.port == 9100 && overridden.storagePath == "/tmp/x")
    }

    @Test("an explicit missing file and invalid values are clear errors")
    func errors() async throws {
        let directory = try TemporaryDirectory()
        await #expect(throws: ConfigurationError.self) { _ = try await FollowUpConfiguration.load(file: directory.path + "/none.yaml", environment: [:]) }
        await #expect(throws: ConfigurationError.self) {
            _ = try await FollowUpConfiguration.load(file: nil, environment: ["FOLLOWUP_SERVER_PORT": "70000"])
        }
        await #expect(throws: ConfigurationError.self) {
            _ = try await FollowUpConfiguration.load(file: nil, environment: ["FOLLOWUP_CHUNKING_AVERAGE_SIZE": "60000"])
        }
        try directory.write("bad.yaml", "server: [unclosed")
        await #expect(throws: ConfigurationError.self) { _ = try await FollowUpConfiguration.load(file: directory.path + "/bad.yaml", environment: [:]) }
    }
}

@Suite("Storage")
struct StorageTests {
    func configuration(_ directory: TemporaryDirectory) -> FollowUpConfiguration {
        var configuration = FollowUpConfiguration()
        configuration.storagePath = directory.path + "/storage"
        configuration.packSize = 1 << 20
        return configuration
    }

    @Test("initialising prints an admin token that authenticates; a second init is refused")
    func initialize() async throws {
        let directory = try TemporaryDirectory()
        let (storage, token) = try await Storage.initialize(configuration(directory), logger: quietLogger())
        #expect(try await storage.catalog.authenticate(secret: token)?.role == .admin)
        await storage.close()
        await #expect(throws: StoreError.self) { _ = try await Storage.initialize(configuration(directory), logger: quietLogger()) }
        await #expect(throws: StoreError.notInitialized(path: directory.path + "/nowhere")) {
            var other = configuration(directory)
            other.storagePath = directory.path + "/nowhere"
            _ = try await Storage.open(other, logger: quietLogger())
        }
    }

    @Test("a store refuses to open with chunking settings other than its own")
    func chunkingFixed() async throws {
        let directory = try TemporaryDirectory()
        let (storage, _) = try await Storage.initialize(configuration(directory), logger: quietLogger())
        await storage.close()
        var changed = configuration(directory)
        changed.chunking = ChunkerParameters(minSize: 8192, averageSize: 32768, maxSize: 131072)
        await #expect(throws: StoreError.self) { _ = try await Storage.open(changed, logger: quietLogger()) }
    }

    @Test("ingest, verify, forget and gc work end to end on a folder")
    func ingestVerifyGC() async throws {
        let directory = try TemporaryDirectory()
        for i in 0..<20 {
            try directory.write("source/p\(i % 3)/file \(i).txt", String(repeating: "line \(i) of the deliverable\n", count: 2000 + i * 300))
        }
        let (storage, _) = try await Storage.initialize(configuration(directory), logger: quietLogger())
        let ingest = try await storage.ingest(directory: directory.path + "/source")
        #expect(ingest.summary.files == 20)
        #expect(try await storage.verify().isHealthy)
        let kept = try await storage.collectGarbage(dryRun: false, grace: .zero)
        #expect(kept.removedChunks == 0 && kept.deletedPacks.isEmpty)

        try await storage.catalog.deleteSnapshot(ingest.snapshot)
        let young = try await storage.collectGarbage(dryRun: false)
        #expect(young.removedChunks == 0)  // within the configured grace period
        let report = try await storage.collectGarbage(dryRun: false, grace: .seconds(1), now: Date().addingTimeInterval(5))
        #expect(report.removedChunks == ingest.summary.newChunks)
        #expect(try await storage.store.blobs.list().isEmpty)
        #expect(try await storage.verify().isHealthy)
        await storage.close()
    }
}
