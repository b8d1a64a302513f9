import Foundation
import Testing
@testable import ContentStore

@Suite("Chunk store: packs, dedup, verify, crash safety, rebuild, gc")
struct ChunkStoreTests {
    @Test("put then read gives back the same bytes")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let data = pseudoRandomBytes(700_000, seed: 10)
        let manifest = try await store.put(data)
        #expect(manifest.size == Int64(data.count))
        #expect(manifest.fileHash == SHA256.hash(data))
        #expect(try await store.contents(of: manifest) == data)
        #expect(try await store.contents(of: store.put([])) == [])
    }

    @Test("the same data stored twice is kept once")
    func deduplication() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let data = pseudoRandomBytes(500_000, seed: 11)
        let first = try await store.put(data)
        let packsAfterFirst = try await store.blobs.list().count
        let session = try await store.writeSession()
        for chunk in first.chunks {
            #expect(session.contains(chunk.id))
        }
        try await session.finish()
        _ = try await store.put(data)
        #expect(try await store.blobs.list().count == packsAfterFirst)
        #expect(try await store.index.entries().count == first.chunks.count)
    }

    @Test("chunks repeated inside one session are stored once")
    func dedupWithinSession() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let block = pseudoRandomBytes(300_000, seed: 12)
        let manifest = try await store.put(block + block + block)
        let unique = Set(manifest.chunks.map(\.id))
        #expect(unique.count < manifest.chunks.count)
        #expect(try await store.index.entries().count == unique.count)
    }

    @Test("verify reports a flipped byte in a pack by chunk id")
    func verifyFindsCorruption() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let manifest = try await store.put(pseudoRandomBytes(400_000, seed: 13))
        #expect(try await store.verify(referenced: Set(manifest.chunks.map(\.id))).isHealthy)

        let victim = manifest.chunks[1].id
        let location = try #require(try await store.index.location(of: victim))
        let path = directory.path + "/store/packs/" + location.pack
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[Int(location.offset) + location.length / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let report = try await store.verify(referenced: Set(manifest.chunks.map(\.id)))
        #expect(!report.isHealthy)
        #expect(report.corrupt == [victim])
        await #expect(throws: StoreError.chunkCorrupt(victim)) { try await store.read(victim) }
    }

    @Test("verify reports referenced chunks that are not in the store")
    func verifyFindsMissing() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let ghost = SHA256.hash("never stored")
        let report = try await store.verify(referenced: [ghost])
        #expect(report.missing == [ghost])
    }

    @Test("a crash between pack write and index commit leaves no row, and gc collects the orphan pack")
    func crashBeforeIndexCommit() async throws {
        let directory = try TemporaryDirectory()
        let index = CrashingIndex()
        let store = try makeStore(in: directory, index: index)
        await #expect(throws: CrashingIndex.Crash.self) { _ = try await store.put(pseudoRandomBytes(200_000, seed: 14)) }

        #expect(try await index.entries().isEmpty)
        let orphans = try await store.blobs.list()
        #expect(orphans.count == 1)
        #expect(try await store.verify().isHealthy)

        let young = try await store.collectGarbage(referenced: [], options: GCOptions())
        #expect(young.orphanPacks.isEmpty)  // inside the grace period: could be an upload in flight
        let report = try await store.collectGarbage(referenced: [], options: GCOptions(grace: .zero), now: later())
        #expect(report.orphanPacks == orphans.map(\.name))
        #expect(try await store.blobs.list().isEmpty)
    }

    @Test("a session dropped before finishing leaves no staging file")
    func abandonedSession() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        do {
            let session = try await store.writeSession()
            let chunk = pseudoRandomBytes(1000, seed: 15)
            try await session.put(chunk, id: SHA256.hash(chunk))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/store/tmp").isEmpty)
    }

    @Test("--rebuild-index restores a deleted index from the packs alone")
    func rebuildIndex() async throws {
        let directory = try TemporaryDirectory()
        let index = MemoryChunkIndex()
        let store = try makeStore(in: directory, index: index, packSize: 1 << 20)
        let data = pseudoRandomBytes(3 << 20, seed: 16)
        let manifest = try await store.put(data)
        let before = try await index.entries().map(\.location)
        try await index.replaceAll(with: [], at: Date())
        #expect(try await store.verify(referenced: Set(manifest.chunks.map(\.id))).missing.count == Set(manifest.chunks.map(\.id)).count)

        let report = try await store.rebuildIndex()
        #expect(report.packs > 1)
        #expect(report.unreadablePacks.isEmpty)
        #expect(try await index.entries().map(\.location) == before)
        #expect(try await store.verify(referenced: Set(manifest.chunks.map(\.id))).isHealthy)
        #expect(try await store.contents(of: manifest) == data)
    }

    @Test("rebuild skips a pack whose own index is damaged and reports it")
    func rebuildReportsDamagedPack() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        _ = try await store.put(pseudoRandomBytes(100_000, seed: 17))
        let pack = try #require(try await store.blobs.list().first)
        let path = directory.path + "/store/packs/" + pack.name
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - PackFormat.trailerSize - 3] ^= 0xFF  // inside the pack's index
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try await store.rebuildIndex()
        #expect(report.unreadablePacks.keys.sorted() == [pack.name])
    }

    @Test("gc removes only unreferenced chunks older than the grace period")
    func gcRespectsReferencesAndGrace() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let kept = try await store.put(pseudoRandomBytes(300_000, seed: 18))
        let dropped = try await store.put(pseudoRandomBytes(300_000, seed: 19))
        let live = Set(kept.chunks.map(\.id))

        let young = try await store.collectGarbage(referenced: live)
        #expect(young.removedChunks == 0 && young.youngPacks == 2)

        let dry = try await store.collectGarbage(referenced: live, options: GCOptions(grace: .zero, dryRun: true), now: later())
        #expect(dry.deletedPacks.count == 1)
        #expect(try await store.blobs.list().count == 2)

        let report = try await store.collectGarbage(referenced: live, options: GCOptions(grace: .zero), now: later())
        #expect(report.deletedPacks.count == 1)
        #expect(report.removedChunks == Set(dropped.chunks.map(\.id)).count)
        #expect(try await store.blobs.list().count == 1)
        #expect(try await store.contents(of: kept).count == 300_000)
        await #expect(throws: StoreError.self) { try await store.contents(of: dropped) }
        #expect(try await store.verify(referenced: live).isHealthy)
    }

    @Test("gc rewrites a mostly-garbage pack with only its live chunks")
    func gcRepacks() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory, packSize: 8 << 20)
        let liveData = pseudoRandomBytes(200_000, seed: 20)
        let garbageData = pseudoRandomBytes(1_500_000, seed: 21)
        // One session, one pack holding both.
        let session = try await store.writeSession()
        var liveManifestChunks: [ChunkRef] = []
        for (data, isLive) in [(liveData, true), (garbageData, false)] {
            for range in data.withUnsafeBytes({ store.chunker.chunks(of: $0) }) {
                let chunk = Array(data[range])
                let id = SHA256.hash(chunk)
                try await session.put(chunk, id: id)
                if isLive { liveManifestChunks.append(ChunkRef(id: id, length: chunk.count)) }
            }
        }
        try await session.finish()
        let oldPack = try #require(try await store.blobs.list().first)
        #expect(try await store.blobs.list().count == 1)

        let live = Set(liveManifestChunks.map(\.id))
        let report = try await store.collectGarbage(referenced: live, options: GCOptions(grace: .zero), now: later())
        #expect(report.repackedPacks == [oldPack.name])
        #expect(report.newPacks.count == 1)
        let packs = try await store.blobs.list()
        #expect(packs.map(\.name) == report.newPacks)
        #expect(packs[0].size < oldPack.size / 4)
        #expect(try await Set(store.index.entries().map(\.id)) == live)
        let manifest = Manifest(size: Int64(liveData.count), fileHash: SHA256.hash(liveData), chunks: liveManifestChunks)
        #expect(try await store.contents(of: manifest) == liveData)
        #expect(try await store.verify(referenced: live).isHealthy)
    }

    @Test("gc spares an unreferenced chunk that was recently deduplicated against")
    func gcSparesTouchedChunks() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let manifest = try await store.put(pseudoRandomBytes(100_000, seed: 22))
        let now = later()
        try await store.index.touch(manifest.chunks.map(\.id), at: now)
        let report = try await store.collectGarbage(referenced: [], options: GCOptions(grace: .seconds(60)), now: now.addingTimeInterval(1))
        #expect(report.removedChunks == 0)
        #expect(report.deletedPacks.isEmpty)
    }

    @Test("gc refuses to run while a write session holds the store")
    func gcWaitsForWriters() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let session = try await store.writeSession()
        await #expect(throws: StoreError.self) { _ = try await store.collectGarbage(referenced: []) }
        try await session.finish()
    }

    @Test("a store refuses to open with other chunking parameters")
    func parametersRecorded() throws {
        let directory = try TemporaryDirectory()
        _ = try makeStore(in: directory)
        let other = ChunkerParameters(minSize: 8 << 10, averageSize: 32 << 10, maxSize: 128 << 10)
        #expect(throws: StoreError.self) {
            _ = try ChunkStore.open(at: directory.path + "/store", index: MemoryChunkIndex(), chunker: other, logger: quietLogger())
        }
        _ = try ChunkStore.open(at: directory.path + "/store", index: MemoryChunkIndex(), chunker: .standard, logger: quietLogger())
        #expect(throws: StoreError.alreadyInitialized(path: directory.path + "/store")) { _ = try makeStore(in: directory) }
    }

    @Test("ingest of a folder stores every file, in parallel, and a second ingest stores nothing new")
    func ingestFolder() async throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(in: directory)
        let source = directory.path + "/source"
        try FileManager.default.createDirectory(atPath: source + "/a/b", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source + "/empty", withIntermediateDirectories: true)
        var expected: [String: [UInt8]] = [:]
        for (i, name) in ["one.bin", "a/two é (1).txt", "a/b/three.psd", "zero"].enumerated() {
            let data = name == "zero" ? [] : pseudoRandomBytes(50_000 * (i + 1) + i, seed: 30 + UInt64(i))
            expected[name] = data
            try Data(data).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        try Data(expected["one.bin"]!).write(to: URL(fileURLWithPath: source + "/a/copy.bin"))
        expected["a/copy.bin"] = expected["one.bin"]
        try FileManager.default.createSymbolicLink(atPath: source + "/link", withDestinationPath: "/etc/passwd")

        let first = try await store.ingest(directory: source, concurrency: 2)
        #expect(first.summary.files == expected.count)
        #expect(first.summary.bytes == Int64(expected.values.map(\.count).reduce(0, +)))
        #expect(first.summary.newBytes < first.summary.bytes)  // the copy deduplicates
        #expect(first.scan.skipped == ["link"])
        #expect(first.scan.emptyDirectories == ["empty"])
        for file in first.files {
            #expect(try await store.contents(of: file.manifest) == expected[file.file.path])
        }
        let second = try await store.ingest(directory: source)
        #expect(second.summary.newBytes == 0)
        #expect(second.summary.packs == 0)
    }
}
