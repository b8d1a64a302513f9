import Foundation
import Synchronization

/// Stores new chunks for one ingest or upload, deduplicating against the index
/// and against itself, and sealing a pack whenever it reaches the pack size.
///
/// Safe to use from many tasks at once: writers share the open pack under a
/// mutex; the task whose chunk fills the pack seals it (fsync, rename, index
/// commit) outside the mutex while the others go on with a fresh pack.
/// Holds the store's lock shared until `finish()`, so gc cannot run meanwhile.
/// After `finish()` the session stores nothing more.
public final class ChunkWriteSession: Sendable {
    private struct State: ~Copyable {
        var known: Set<ChunkID>
        var pending: Set<ChunkID> = []
        var writer: PackWriter?
        var newBytes: Int64 = 0
        var newChunks = 0
        var packs = 0
        /// Released by `finish()`; nil afterwards.
        var lock: StoreLock?
    }

    public struct Statistics: Sendable {
        public var newBytes: Int64
        public var newChunks: Int
        public var packs: Int
    }

    private let store: ChunkStore
    private let state: Mutex<State>

    init(store: ChunkStore) async throws {
        self.store = store
        let lock = try store.lock(.shared, for: "the upload")
        let known = try await store.index.chunkIDs()
        state = Mutex(State(known: known, lock: lock))
    }

    deinit {
        // A session dropped without `finish()` (an error, a cancellation) leaves no staging file behind.
        state.withLock { $0.writer?.abandon() }
    }

    /// True if the store has (or this session has already taken) the chunk.
    public func contains(_ id: ChunkID) -> Bool {
        state.withLock { $0.known.contains(id) || $0.pending.contains(id) }
    }

    /// Stores `bytes` under `id` unless already present; returns true if stored.
    /// The caller guarantees `id` is the SHA-256 of `bytes`.
    @discardableResult
    public func put(_ bytes: UnsafeRawBufferPointer, id: ChunkID) async throws -> Bool {
        let (stored, full) = try append(bytes, id: id)
        if let full { try await seal(full) }
        return stored
    }

    @discardableResult
    public func put(_ bytes: [UInt8], id: ChunkID) async throws -> Bool {
        let (stored, full) = try bytes.withUnsafeBytes { (raw) in try append(raw, id: id) }
        if let full { try await seal(full) }
        return stored
    }

    /// Appends to the open pack under the mutex; returns the pack if this chunk filled it.
    private func append(_ bytes: UnsafeRawBufferPointer, id: ChunkID) throws -> (stored: Bool, full: PackWriter?) {
        try state.withLock { (state) -> (Bool, PackWriter?) in
            guard state.lock != nil else { throw StoreError.invalidParameters("the write session is already finished") }
            if state.known.contains(id) || state.pending.contains(id) { return (false, nil) }
            if state.writer == nil { state.writer = try PackWriter(stagingDirectory: store.staging) }
            try state.writer!.append(id, bytes)
            state.pending.insert(id)
            state.newBytes += Int64(bytes.count)
            state.newChunks += 1
            guard state.writer!.size >= Int64(store.configuration.packSize) else { return (true, nil) }
            defer { state.writer = nil }
            return (true, state.writer)
        }
    }

    /// Seals the last pack. Only after this returns are the chunks durable and indexed.
    public func finish() async throws {
        let (last, lock) = state.withLock { state in
            defer { state.writer = nil; state.lock = nil }
            return (state.writer, state.lock)
        }
        // The lock is held until the last pack is indexed, then released.
        defer { withExtendedLifetime(lock) {} }
        if let last, !last.isEmpty { try await seal(last) } else { last?.abandon() }
    }

    public var statistics: Statistics {
        state.withLock { Statistics(newBytes: $0.newBytes, newChunks: $0.newChunks, packs: $0.packs) }
    }

    private func seal(_ writer: PackWriter) async throws {
        do {
            let record = try writer.finish()
            try await store.blobs.put(record.name, movingFile: writer.path)
            try await store.index.add(pack: record, entries: writer.entries)
            store.logger.debug("sealed pack", metadata: ["pack": "\(record.name)", "bytes": "\(record.size)", "chunks": "\(record.chunkCount)"])
        } catch {
            writer.abandon()
            throw error
        }
        state.withLock { state in
            for entry in writer.entries {
                state.pending.remove(entry.id)
                state.known.insert(entry.id)
            }
            state.packs += 1
        }
    }
}
