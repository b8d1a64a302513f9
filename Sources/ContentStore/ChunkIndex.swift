import Foundation

/// A pack as the index knows it.
public struct PackRecord: Sendable, Hashable {
    public var name: String
    public var size: Int64
    public var chunkCount: Int

    public init(name: String, size: Int64, chunkCount: Int) {
        self.name = name
        self.size = size
        self.chunkCount = chunkCount
    }
}

/// Where a chunk's bytes are.
public struct ChunkLocation: Sendable, Hashable {
    public var pack: String
    public var offset: Int64
    public var length: Int

    public init(pack: String, offset: Int64, length: Int) {
        self.pack = pack
        self.offset = offset
        self.length = length
    }
}

/// One row of the chunk index.
public struct IndexEntry: Sendable, Hashable {
    public var id: ChunkID
    public var location: ChunkLocation
    /// When the chunk was stored or last deduplicated against; gc spares recent ones.
    public var lastUsed: Date

    public init(id: ChunkID, location: ChunkLocation, lastUsed: Date) {
        self.id = id
        self.location = location
        self.lastUsed = lastUsed
    }
}

/// One atomic change to the index.
public struct IndexChange: Sendable {
    /// Sealed packs to add with their entries.
    public var addedPacks: [(pack: PackRecord, entries: [PackFormat.Entry])] = []
    /// When true, entries of added packs replace existing rows for the same ids
    /// (repacking); otherwise an id already indexed keeps its location (ingest).
    public var relocate = false
    /// Chunk rows to drop.
    public var removedChunks: [ChunkID] = []
    /// Packs to forget, with every row still pointing into them.
    public var removedPacks: [String] = []

    public init() {}
}

/// The chunk index: chunk id → pack, offset, length, plus the pack list.
///
/// Implemented over the catalog database in production and in memory in tests.
/// Every `apply` is one transaction: after a crash either all of a change is
/// visible or none of it.
public protocol ChunkIndex: Sendable {
    /// Every indexed chunk id, for deduplication.
    func chunkIDs() async throws -> Set<ChunkID>
    func location(of id: ChunkID) async throws -> ChunkLocation?
    /// The locations of those of `ids` that are indexed, looked up in a few queries.
    func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation]
    func packs() async throws -> [PackRecord]
    /// Every row, ordered by pack then offset.
    func entries() async throws -> [IndexEntry]
    func apply(_ change: IndexChange, at time: Date) async throws
    /// Marks chunks as just used, so gc spares them for a grace period.
    func touch(_ ids: [ChunkID], at time: Date) async throws
    /// Replaces the whole index (rebuild from packs) in one transaction.
    func replaceAll(with packs: [(pack: PackRecord, entries: [PackFormat.Entry])], at time: Date) async throws
}

extension ChunkIndex {
    public func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation] {
        var found: [ChunkID: ChunkLocation] = [:]
        for id in ids where found[id] == nil {
            if let location = try await location(of: id) { found[id] = location }
        }
        return found
    }

    public func add(pack: PackRecord, entries: [PackFormat.Entry], at time: Date = Date()) async throws {
        var change = IndexChange()
        change.addedPacks = [(pack, entries)]
        try await apply(change, at: time)
    }
}
