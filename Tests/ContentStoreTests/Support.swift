import Foundation
import Logging
import Synchronization
@testable import ContentStore

/// The chunk index in memory, with the same contract as the catalog's.
final class MemoryChunkIndex: ChunkIndex {
    private struct State {
        var packs: [String: PackRecord] = [:]
        var rows: [ChunkID: IndexEntry] = [:]
    }
    private let state = Mutex(State())

    func chunkIDs() async throws -> Set<ChunkID> { state.withLock { Set($0.rows.keys) } }
    func location(of id: ChunkID) async throws -> ChunkLocation? { state.withLock { $0.rows[id]?.location } }
    func packs() async throws -> [PackRecord] { state.withLock { $0.packs.values.sorted { $0.name < $1.name } } }
    func entries() async throws -> [IndexEntry] {
        state.withLock { $0.rows.values.sorted { ($0.location.pack, $0.location.offset) < ($1.location.pack, $1.location.offset) } }
    }

    func apply(_ change: IndexChange, at time: Date) async throws {
        state.withLock { state in
            for (pack, entries) in change.addedPacks {
                state.packs[pack.name] = pack
                for entry in entries where change.relocate || state.rows[entry.id] == nil {
                    state.rows[entry.id] = IndexEntry(
                        id: entry.id, location: .init(pack: pack.name, offset: entry.offset, length: entry.length),
                        lastUsed: state.rows[entry.id]?.lastUsed ?? time)
                }
            }
            for id in change.removedChunks { state.rows[id] = nil }
            for name in change.removedPacks {
                state.packs[name] = nil
                state.rows = state.rows.filter { $0.value.location.pack != name }
            }
        }
    }

    func touch(_ ids: [ChunkID], at time: Date) async throws {
        state.withLock { state in for id in ids { state.rows[id]?.lastUsed = time } }
    }

    func replaceAll(with packs: [(pack: PackRecord, entries: [PackFormat.Entry])], at time: Date) async throws {
        state.withLock { $0 = State() }
        var change = IndexChange()
        change.addedPacks = packs
        try await apply(change, at: time)
    }
}

/// An index whose commits fail: a crash between writing a pack and indexing it.
final class CrashingIndex: ChunkIndex {
    let inner = MemoryChunkIndex()
    struct Crash: Error {}
    func chunkIDs() async throws -> Set<ChunkID> { try await inner.chunkIDs() }
    func location(of id: ChunkID) async throws -> ChunkLocation? { try await inner.location(of: id) }
    func packs() async throws -> [PackRecord] { try await inner.packs() }
    func entries() async throws -> [IndexEntry] { try await inner.entries() }
    func apply(_ change: IndexChange, at time: Date) async throws {
        if !change.addedPacks.isEmpty { throw Crash() }
        try await inner.apply(change, at: time)
    }
    func touch(_ ids: [ChunkID], at time: Date) async throws { try await inner.touch(ids, at: time) }
    func replaceAll(with packs: [(pack: PackRecord, entries: [PackFormat.Entry])], at time: Date) async throws {
        try await inner.replaceAll(with: packs, at: time)
    }
}

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("followup-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Deterministic pseudo-random bytes (SplitMix64), so tests never depend on the run.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(count + 8)
    while out.count < count {
        withUnsafeBytes(of: generator.next()) { out.append(contentsOf: $0) }
    }
    return Array(out.prefix(count))
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

/// A store in a fresh temporary directory. Small packs so tests see several.
func makeStore(in directory: TemporaryDirectory, index: any ChunkIndex = MemoryChunkIndex(), packSize: Int = 1 << 20) throws -> ChunkStore {
    try ChunkStore.create(
        at: directory.path + "/store", configuration: StoreConfiguration(packSize: packSize),
        index: index, logger: quietLogger())
}

/// A moment safely after anything written so far: gc with zero grace collects it.
func later() -> Date { Date().addingTimeInterval(5) }
