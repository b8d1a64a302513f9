import ContentStore
import Foundation
import SQLKit
import Synchronization

/// The chunk index, kept in the `packs` and `chunks` tables.
extension Catalog: ChunkIndex {
    /// Rows per INSERT statement: well under every backend's bind limit.
    static let batchSize = 400

    public func chunkIDs() async throws -> Set<ChunkID> {
        try await read { db in
            let ids = Mutex(Set<ChunkID>())
            try await db.execute(sql: db.select().column("id").from("chunks").query) { row in
                if let data = try? row.decode(column: "id", as: Data.self), let id = ChunkID(bytes: data) {
                    ids.withLock { _ = $0.insert(id) }
                }
            }
            return ids.withLock { $0 }
        }
    }

    public func location(of id: ChunkID) async throws -> ChunkLocation? {
        try await read { db in
            try await db.select().columns("pack", "pack_offset", "chunk_length").from("chunks")
                .where("id", .equal, SQLBind(Data(id.bytes)))
                .first()
                .map { row in
                    ChunkLocation(
                        pack: try row.decode(column: "pack", as: String.self),
                        offset: try row.decode(column: "pack_offset", as: Int64.self),
                        length: try row.decode(column: "chunk_length", as: Int.self))
                }
        }
    }

    public func packs() async throws -> [PackRecord] {
        try await read { db in
            try await db.select().columns("name", "size", "chunk_count").from("packs").orderBy("name").all().map { row in
                PackRecord(
                    name: try row.decode(column: "name", as: String.self),
                    size: try row.decode(column: "size", as: Int64.self),
                    chunkCount: try row.decode(column: "chunk_count", as: Int.self))
            }
        }
    }

    public func entries() async throws -> [IndexEntry] {
        try await read { db in
            try await db.select().columns("id", "pack", "pack_offset", "chunk_length", "last_used").from("chunks")
                .orderBy("pack").orderBy("pack_offset").all().map { row in
                    guard let id = ChunkID(bytes: try row.decode(column: "id", as: Data.self)) else {
                        throw CatalogError.invalid("a chunk id in the index is not 32 bytes")
                    }
                    return IndexEntry(
                        id: id,
                        location: ChunkLocation(
                            pack: try row.decode(column: "pack", as: String.self),
                            offset: try row.decode(column: "pack_offset", as: Int64.self),
                            length: try row.decode(column: "chunk_length", as: Int.self)),
                        lastUsed: Catalog.date(try row.decode(column: "last_used", as: Int64.self)))
                }
        }
    }

    public func apply(_ change: IndexChange, at time: Date) async throws {
        let now = Catalog.timestamp(time)
        try await transaction { db in
            for (pack, entries) in change.addedPacks {
                try await Catalog.insert(pack: pack, entries: entries, relocate: change.relocate, now: now, into: db)
            }
            for batch in change.removedChunks.chunked(Catalog.batchSize) {
                try await db.delete(from: "chunks").where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).run()
            }
            for name in change.removedPacks {
                try await db.delete(from: "chunks").where("pack", .equal, SQLBind(name)).run()
                try await db.delete(from: "packs").where("name", .equal, SQLBind(name)).run()
            }
        }
    }

    public func touch(_ ids: [ChunkID], at time: Date) async throws {
        let now = Catalog.timestamp(time)
        try await transaction { db in
            for batch in ids.chunked(Catalog.batchSize) {
                try await db.update("chunks").set("last_used", to: SQLBind(now))
                    .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).run()
            }
        }
    }

    public func replaceAll(with packs: [(pack: PackRecord, entries: [PackFormat.Entry])], at time: Date) async throws {
        let now = Catalog.timestamp(time)
        try await transaction { db in
            try await db.delete(from: "chunks").run()
            try await db.delete(from: "packs").run()
            for (pack, entries) in packs {
                try await Catalog.insert(pack: pack, entries: entries, relocate: false, now: now, into: db)
            }
        }
    }

    /// Inserts a pack and its entries. Without `relocate`, an id already indexed
    /// keeps its row (the duplicate bytes are garbage for gc to reclaim).
    private static func insert(
        pack: PackRecord, entries: [PackFormat.Entry], relocate: Bool, now: Int64, into db: any SQLDatabase
    ) async throws {
        try await db.insert(into: "packs")
            .columns("name", "size", "chunk_count", "created_at")
            .values(SQLBind(pack.name), SQLBind(pack.size), SQLBind(pack.chunkCount), SQLBind(now))
            .run()
        for batch in entries.chunked(batchSize) {
            let insert = db.insert(into: "chunks").columns("id", "pack", "pack_offset", "chunk_length", "last_used")
            for entry in batch {
                insert.values(SQLBind(Data(entry.id.bytes)), SQLBind(pack.name), SQLBind(entry.offset), SQLBind(entry.length), SQLBind(now))
            }
            if relocate {
                insert.onConflict(with: ["id"]) { update in
                    update.set(excludedValueOf: "pack").set(excludedValueOf: "pack_offset").set(excludedValueOf: "chunk_length")
                }
            } else {
                insert.ignoringConflicts(with: ["id"])
            }
            try await insert.run()
        }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension Catalog {
    /// The subset of `ids` the chunk index holds (batched queries, not the whole index).
    public func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation] {
        try await read { db in
            var found: [ChunkID: ChunkLocation] = [:]
            for batch in Array(Set(ids)).chunked(Catalog.batchSize) {
                for row in try await db.select().columns("id", "pack", "pack_offset", "chunk_length").from("chunks")
                    .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).all() {
                    guard let id = ChunkID(bytes: try row.decode(column: "id", as: Data.self)) else { continue }
                    found[id] = ChunkLocation(
                        pack: try row.decode(column: "pack", as: String.self),
                        offset: try row.decode(column: "pack_offset", as: Int64.self),
                        length: try row.decode(column: "chunk_length", as: Int.self))
                }
            }
            return found
        }
    }

    public func indexedChunks(among ids: [ChunkID]) async throws -> Set<ChunkID> {
        try await read { db in
            var found = Set<ChunkID>()
            for batch in Array(Set(ids)).chunked(Catalog.batchSize) {
                for row in try await db.select().column("id").from("chunks")
                    .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).all() {
                    if let id = ChunkID(bytes: try row.decode(column: "id", as: Data.self)) { found.insert(id) }
                }
            }
            return found
        }
    }
}
