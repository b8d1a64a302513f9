import ContentStore
import Foundation
import SQLKit
import Synchronization

/// A stored ingest of a folder (`followup store ingest`): its files and their content.
public struct Snapshot: Sendable, Hashable, Codable {
    public var id: Int64
    public var source: String
    public var created: Date
    public var files: Int64
    public var bytes: Int64
}

extension Catalog {
    /// Records an ingest's files as one snapshot, atomically; returns its id.
    public func recordSnapshot(source: String, files: [IngestedFile], at time: Date = Date()) async throws -> Int64 {
        let now = Catalog.timestamp(time)
        let bytes = files.reduce(Int64(0)) { $0 + $1.manifest.size }
        return try await transaction { db in
            guard let row = try await db.insert(into: "snapshots")
                .columns("source", "created_at", "file_count", "byte_count")
                .values(SQLBind(source), SQLBind(now), SQLBind(Int64(files.count)), SQLBind(bytes))
                .returning("id")
                .first()
            else { throw CatalogError.database("the new snapshot has no id") }
            let id = try row.decode(column: "id", as: Int64.self)
            for batch in files.chunked(200) {
                let insert = db.insert(into: "snapshot_files").columns("snapshot_id", "path", "size", "mode", "mtime_ns", "sha256", "chunks")
                for file in batch {
                    insert.values(
                        SQLBind(id), SQLBind(file.file.path), SQLBind(file.manifest.size), SQLBind(Int64(file.file.mode)),
                        SQLBind(file.file.modifiedNanoseconds),
                        SQLBind(Data(file.manifest.fileHash.bytes)), SQLBind(Data(file.manifest.encodedChunks)))
                }
                try await insert.run()
            }
            return id
        }
    }

    public func snapshots() async throws -> [Snapshot] {
        try await read { db in
            try await db.select().columns("id", "source", "created_at", "file_count", "byte_count").from("snapshots")
                .orderBy("id").all().map { row in
                    Snapshot(
                        id: try row.decode(column: "id", as: Int64.self),
                        source: try row.decode(column: "source", as: String.self),
                        created: Catalog.date(try row.decode(column: "created_at", as: Int64.self)),
                        files: try row.decode(column: "file_count", as: Int64.self),
                        bytes: try row.decode(column: "byte_count", as: Int64.self))
                }
        }
    }

    /// Forgets a snapshot; its chunks become garbage unless something else references them.
    public func deleteSnapshot(_ id: Int64) async throws {
        try await transaction { db in
            let found = try await db.select().column("id").from("snapshots").where("id", .equal, SQLBind(id)).first()
            guard found != nil else { throw CatalogError.notFound("no snapshot \(id)") }
            try await db.delete(from: "snapshot_files").where("snapshot_id", .equal, SQLBind(id)).run()
            try await db.delete(from: "snapshots").where("id", .equal, SQLBind(id)).run()
        }
    }

    /// The manifests of a snapshot's files, by path.
    public func snapshotManifests(_ id: Int64) async throws -> [String: Manifest] {
        try await read { db in
            var out: [String: Manifest] = [:]
            for row in try await db.select().columns("path", "size", "sha256", "chunks").from("snapshot_files")
                .where("snapshot_id", .equal, SQLBind(id)).all() {
                out[try row.decode(column: "path", as: String.self)] = try Catalog.manifest(from: row)
            }
            return out
        }
    }

    /// Every chunk a live manifest refers to: the mark set for gc and verify.
    public func referencedChunkIDs() async throws -> Set<ChunkID> {
        try await read { db in
            let ids = Mutex(Set<ChunkID>())
            let failed = Mutex(false)
            try await db.execute(sql: db.select().column("chunks").from("snapshot_files").query) { row in
                guard let data = try? row.decode(column: "chunks", as: Data.self),
                      let refs = Manifest.decodeChunks(Array(data))
                else { failed.withLock { $0 = true }; return }
                ids.withLock { set in for ref in refs { set.insert(ref.id) } }
            }
            if failed.withLock({ $0 }) { throw CatalogError.invalid("a stored manifest is damaged") }
            return ids.withLock { $0 }
        }
    }

    static func manifest(from row: any SQLRow) throws -> Manifest {
        guard let hash = ChunkID(bytes: try row.decode(column: "sha256", as: Data.self)),
              let chunks = Manifest.decodeChunks(Array(try row.decode(column: "chunks", as: Data.self)))
        else { throw CatalogError.invalid("a stored manifest is damaged") }
        return Manifest(size: try row.decode(column: "size", as: Int64.self), fileHash: hash, chunks: chunks)
    }
}
