import ContentStore
import Foundation
import Logging
import Testing
@testable import Catalog

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("followup-catalog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

func openCatalog(_ directory: TemporaryDirectory) async throws -> Catalog {
    try await Catalog.open(path: directory.path + "/catalog.sqlite", logger: quietLogger())
}

func id(_ text: String) -> ChunkID { SHA256.hash(text) }

@Suite("Catalog: migrations")
struct MigrationTests {
    @Test("an empty database gets every migration, in order")
    func emptyDatabase() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        #expect(try await catalog.appliedMigrations() == Catalog.migrations.map(\.name))
        await catalog.close()
    }

    @Test("reopening a migrated database applies nothing again and keeps its data")
    func alreadyMigrated() async throws {
        let directory = try TemporaryDirectory()
        let first = try await openCatalog(directory)
        _ = try await first.createToken(name: "kept", role: .admin)
        await first.close()
        let second = try await openCatalog(directory)
        #expect(try await second.appliedMigrations() == Catalog.migrations.map(\.name))
        #expect(try await second.adminTokenCount() == 1)
        await second.close()
    }

    @Test("migration names are unique and sorted, so order never depends on the array")
    func namesOrdered() {
        let names = Catalog.migrations.map(\.name)
        #expect(names == names.sorted())
        #expect(Set(names).count == names.count)
    }
}

@Suite("Catalog: chunk index")
struct ChunkIndexTests {
    let pack = PackRecord(name: "aa/aa01", size: 1000, chunkCount: 2)

    @Test("a pack's entries are found by id; a known id keeps its first location")
    func addAndLookUp() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        try await catalog.add(pack: pack, entries: [.init(id: id("a"), offset: 8, length: 100), .init(id: id("b"), offset: 108, length: 200)])
        try await catalog.add(pack: PackRecord(name: "bb/bb01", size: 500, chunkCount: 1), entries: [.init(id: id("a"), offset: 8, length: 100)])
        #expect(try await catalog.location(of: id("a")) == ChunkLocation(pack: "aa/aa01", offset: 8, length: 100))
        #expect(try await catalog.location(of: id("b")) == ChunkLocation(pack: "aa/aa01", offset: 108, length: 200))
        #expect(try await catalog.location(of: id("c")) == nil)
        #expect(try await catalog.chunkIDs() == [id("a"), id("b")])
        #expect(try await catalog.packs().map(\.name) == ["aa/aa01", "bb/bb01"])
        await catalog.close()
    }

    @Test("a relocating change moves rows, drops chunks and packs in one transaction")
    func relocateAndRemove() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        try await catalog.add(pack: pack, entries: [.init(id: id("a"), offset: 8, length: 100), .init(id: id("b"), offset: 108, length: 200)])
        var change = IndexChange()
        change.relocate = true
        change.addedPacks = [(PackRecord(name: "cc/cc01", size: 200, chunkCount: 1), [.init(id: id("a"), offset: 8, length: 100)])]
        change.removedPacks = ["aa/aa01"]
        try await catalog.apply(change, at: Date())
        #expect(try await catalog.location(of: id("a"))?.pack == "cc/cc01")
        #expect(try await catalog.location(of: id("b")) == nil)
        #expect(try await catalog.packs().map(\.name) == ["cc/cc01"])

        var drop = IndexChange()
        drop.removedChunks = [id("a")]
        try await catalog.apply(drop, at: Date())
        #expect(try await catalog.chunkIDs().isEmpty)
        await catalog.close()
    }

    @Test("a failing change leaves the index as it was")
    func atomicity() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        try await catalog.add(pack: pack, entries: [.init(id: id("a"), offset: 8, length: 100)])
        var change = IndexChange()
        // The second added pack repeats a pack name: the primary key fails mid-transaction.
        change.addedPacks = [(PackRecord(name: "dd/dd01", size: 1, chunkCount: 1), [.init(id: id("z"), offset: 8, length: 1)]), (pack, [])]
        await #expect(throws: CatalogError.self) { try await catalog.apply(change, at: Date()) }
        #expect(try await catalog.location(of: id("z")) == nil)
        #expect(try await catalog.packs().map(\.name) == ["aa/aa01"])
        await catalog.close()
    }

    @Test("touch moves last-used; replaceAll swaps the whole index")
    func touchAndReplace() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        try await catalog.add(pack: pack, entries: [.init(id: id("a"), offset: 8, length: 100)], at: Date(timeIntervalSince1970: 1000))
        try await catalog.touch([id("a")], at: Date(timeIntervalSince1970: 5000))
        #expect(try await catalog.entries().first?.lastUsed == Date(timeIntervalSince1970: 5000))
        try await catalog.replaceAll(with: [(PackRecord(name: "ee/ee01", size: 9, chunkCount: 1), [.init(id: id("q"), offset: 8, length: 1)])], at: Date())
        #expect(try await catalog.chunkIDs() == [id("q")])
        #expect(try await catalog.packs().map(\.name) == ["ee/ee01"])
        await catalog.close()
    }

    @Test("many entries go in batches and come back ordered by pack and offset")
    func manyEntries() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let entries = (0..<1500).map { PackFormat.Entry(id: id("chunk \($0)"), offset: 8 + Int64($0) * 10, length: 10) }
        try await catalog.add(pack: PackRecord(name: "ff/ff01", size: 20000, chunkCount: 1500), entries: entries)
        let stored = try await catalog.entries()
        #expect(stored.count == 1500)
        #expect(stored.map(\.location.offset) == entries.map(\.offset))
        await catalog.close()
    }
}

@Suite("Catalog: snapshots and tokens")
struct SnapshotAndTokenTests {
    func file(_ path: String, _ chunks: [String]) -> IngestedFile {
        IngestedFile(
            file: ScannedFile(path: path, root: "/x", size: 3, mode: 0o644, modified: Date(timeIntervalSince1970: 1_700_000_000)),
            manifest: Manifest(size: 3, fileHash: id(path), chunks: chunks.map { ChunkRef(id: id($0), length: 1) }))
    }

    @Test("a snapshot's manifests are the gc mark set until it is forgotten")
    func snapshotLifecycle() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let first = try await catalog.recordSnapshot(source: "/a", files: [file("x.txt", ["1", "2"]), file("y é.txt", ["2", "3"])])
        let second = try await catalog.recordSnapshot(source: "/b", files: [file("z.txt", ["4"])])
        #expect(try await catalog.referencedChunkIDs() == Set(["1", "2", "3", "4"].map(id)))
        #expect(try await catalog.snapshots().map(\.files) == [2, 1])
        #expect(try await catalog.snapshotManifests(first)["y é.txt"]?.chunks.map(\.id) == [id("2"), id("3")])
        try await catalog.deleteSnapshot(first)
        #expect(try await catalog.referencedChunkIDs() == [id("4")])
        await #expect(throws: CatalogError.notFound("no snapshot \(first)")) { try await catalog.deleteSnapshot(first) }
        _ = second
        await catalog.close()
    }

    @Test("a token authenticates by its secret; only the hash is kept")
    func tokens() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let (record, secret) = try await catalog.createToken(name: "ops", role: .staff)
        #expect(secret.hasPrefix("fu_") && secret.count == 67)
        #expect(try await catalog.authenticate(secret: secret) == record)
        #expect(try await catalog.authenticate(secret: secret + "x") == nil)
        #expect(try await catalog.authenticate(secret: "") == nil)
        let (_, other) = try await catalog.createToken(name: "ops", role: .staff)
        #expect(other != secret)
        await catalog.close()
        // The secret never reaches the database file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/catalog.sqlite"))
            + ((try? Data(contentsOf: URL(fileURLWithPath: directory.path + "/catalog.sqlite-wal"))) ?? Data())
        #expect(bytes.range(of: Data(secret.utf8)) == nil)
        #expect(bytes.range(of: Data(SHA256.hash(secret).bytes)) != nil)
    }

    @Test("client tokens need a client; other roles must not have one")
    func tokenRoles() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        await #expect(throws: CatalogError.self) { _ = try await catalog.createToken(name: "c", role: .client) }
        await #expect(throws: CatalogError.self) { _ = try await catalog.createToken(name: "s", role: .staff, client: "acme") }
        await #expect(throws: CatalogError.self) { _ = try await catalog.createToken(name: "", role: .admin) }
        let (record, _) = try await catalog.createToken(name: "acme reader", role: .client, client: "acme")
        #expect(record.client == "acme")
        await catalog.close()
    }
}

@Suite("Catalog as the chunk store's index")
struct StoreOverCatalogTests {
    @Test("a store over the catalog round-trips, verifies, and rebuilds its index")
    func storeRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        let store = try ChunkStore.create(at: directory.path + "/store", configuration: StoreConfiguration(packSize: 1 << 20), index: catalog, logger: quietLogger())
        var data = [UInt8]()
        var state: UInt64 = 99
        for _ in 0..<(2_500_000 / 8) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: state) { data.append(contentsOf: $0) }
        }
        let manifest = try await store.put(data)
        #expect(try await store.contents(of: manifest) == data)
        let live = Set(manifest.chunks.map(\.id))
        #expect(try await store.verify(referenced: live).isHealthy)
        try await catalog.replaceAll(with: [], at: Date())
        #expect(try await store.rebuildIndex().chunks == live.count)
        #expect(try await store.contents(of: manifest) == data)
        await catalog.close()
    }
}
