import ContentStore
import Foundation
import SQLKit
import Synchronization

/// One version of a file in a project. Versions are never overwritten: each change to a
/// path adds the next version, and a deletion adds a tombstone (so a client that pulls
/// later still learns the file is gone, and history is kept).
public struct FileVersion: Sendable, Hashable {
    public var id: Int64
    public var client: String
    public var project: String
    /// The path inside the project, "/"-separated.
    public var path: String
    /// 1, 2, 3, … per path.
    public var version: Int
    /// A tombstone: the path was deleted at this version.
    public var deleted: Bool
    /// 0 for a tombstone.
    public var size: Int64
    public var mode: Int
    /// Modification time in nanoseconds since 1970, as the uploader's file had it.
    public var mtimeNs: Int64
    /// The content (whole-file SHA-256 and chunk list); nil for a tombstone.
    public var manifest: Manifest?
    /// The project phase it was filed under, if any.
    public var phase: String?
    /// The hour entry (logged work) that produced it, if any.
    public var hourEntry: Int64?
    /// The token that uploaded it; nil when it came from a server-side operation.
    public var authorToken: Int64?
    public var created: Date
    /// The feed sequence number of the change that announced this version.
    public var seq: Int64
}

extension Catalog {
    /// The project's current files: for each path its latest version, unless that is a
    /// tombstone. Ordered by path.
    public func latestFiles(client: String, project: String) async throws -> [FileVersion] {
        try await read { db in
            // Each path's newest version, joined back to its row; served by file_versions_by_path.
            let latest = SQLSubquery.select { $0
                .column("path")
                .column(SQLFunction("MAX", args: SQLColumn("version")), as: "version")
                .from("file_versions")
                .where("client", .equal, SQLBind(client))
                .where("project", .equal, SQLBind(project))
                .groupBy("path")
            }
            let onLatest = SQLBinaryExpression(
                SQLBinaryExpression(SQLColumn("path", table: "file_versions"), .equal, SQLColumn("path", table: "latest")),
                .and,
                SQLBinaryExpression(SQLColumn("version", table: "file_versions"), .equal, SQLColumn("version", table: "latest")))
            return try await db.select()
                .columns(Catalog.fileVersionColumns.map { SQLColumn($0, table: "file_versions") })
                .from("file_versions")
                .join(SQLAlias(latest, as: SQLIdentifier("latest")), method: SQLJoinMethod.inner, on: onLatest)
                .where(SQLColumn("client", table: "file_versions"), .equal, SQLBind(client))
                .where(SQLColumn("project", table: "file_versions"), .equal, SQLBind(project))
                .where(SQLColumn("deleted", table: "file_versions"), .equal, SQLBind(false))
                .orderBy(SQLColumn("path", table: "file_versions"))
                .all()
                .map(Catalog.fileVersion(from:))
        }
    }

    /// Every chunk any file version refers to — all versions, not only the latest, since
    /// history stays retrievable. Part of the gc/verify mark set, together with
    /// `referencedChunkIDs()` (snapshots).
    public func fileVersionChunkIDs() async throws -> Set<ChunkID> {
        try await read { db in
            let ids = Mutex(Set<ChunkID>())
            let failed = Mutex(false)
            let query = db.select().column("chunks").from("file_versions").where("chunks", .isNot, SQLLiteral.null).query
            try await db.execute(sql: query) { row in
                guard let data = try? row.decode(column: "chunks", as: Data.self),
                      let refs = Manifest.decodeChunks(Array(data))
                else { failed.withLock { $0 = true }; return }
                ids.withLock { set in for ref in refs { set.insert(ref.id) } }
            }
            if failed.withLock({ $0 }) { throw CatalogError.invalid("a stored file version's chunk list is damaged") }
            return ids.withLock { $0 }
        }
    }

    /// Adds the next version of `path` (a tombstone when `manifest` is nil) and its
    /// "file.put"/"file.delete" change, on the caller's transaction so a commit of many
    /// files is atomic. The minimal form the sync work builds on: it checks the project,
    /// the phase and that a deletion has something to delete, not path syntax.
    static func insertFileVersion(
        _ db: any SQLDatabase, client: String, project: String, path: String, manifest: Manifest?,
        mode: Int = 0o644, mtimeNs: Int64 = 0, phase: String? = nil, hourEntry: Int64? = nil, authorToken: Int64? = nil,
        at time: Int64
    ) async throws -> FileVersion {
        guard !path.isEmpty else { throw CatalogError.invalid("a file needs a path") }
        guard let owner = try await fetchProject(db, client: client, slug: project) else {
            throw CatalogError.notFound("no project \(client)/\(project)")
        }
        if let phase, !owner.phases.contains(phase) { throw CatalogError.invalid("project \(client)/\(project) has no phase \(phase)") }
        let previous = try await db.select().columns("version", "deleted").from("file_versions")
            .where("client", .equal, SQLBind(client)).where("project", .equal, SQLBind(project)).where("path", .equal, SQLBind(path))
            .orderBy("version", .descending).limit(1).first()
        let previousVersion = try previous?.decode(column: "version", as: Int.self) ?? 0
        let previousDeleted = try previous?.decode(column: "deleted", as: Bool.self) ?? true
        if manifest == nil, previousDeleted { throw CatalogError.notFound("no file \(path) in \(client)/\(project)") }

        let version = previousVersion + 1
        let seq = try await appendChange(
            db, client: client, kind: manifest == nil ? "file.delete" : "file.put", project: project, path: path,
            data: try jsonObject(FileChangeData(version: version, size: manifest?.size, sha256: manifest?.fileHash.hex)), at: time)
        let size = manifest?.size ?? 0
        guard let row = try await db.insert(into: "file_versions")
            .columns(
                "client", "project", "path", "version", "deleted", "size", "mode", "mtime_ns", "sha256", "chunks",
                "phase", "hour_entry", "author_token", "created_at", "seq")
            .values(
                SQLBind(client), SQLBind(project), SQLBind(path), SQLBind(version), SQLBind(manifest == nil), SQLBind(size),
                SQLBind(mode), SQLBind(mtimeNs), SQLBind(manifest.map { Data($0.fileHash.bytes) }),
                SQLBind(manifest.map { Data($0.encodedChunks) }), SQLBind(phase), SQLBind(hourEntry), SQLBind(authorToken),
                SQLBind(time), SQLBind(seq))
            .returning("id")
            .first()
        else { throw CatalogError.database("the new file version has no id") }
        return FileVersion(
            id: try row.decode(column: "id", as: Int64.self), client: client, project: project, path: path, version: version,
            deleted: manifest == nil, size: size, mode: mode, mtimeNs: mtimeNs, manifest: manifest, phase: phase,
            hourEntry: hourEntry, authorToken: authorToken, created: date(time), seq: seq)
    }

    /// The `data` of a file change: which version, and for a put its size and hash, so a
    /// client can tell from the feed alone whether its copy is already current.
    private struct FileChangeData: Encodable {
        var version: Int
        var size: Int64?
        var sha256: String?
    }

    static let fileVersionColumns = [
        "id", "client", "project", "path", "version", "deleted", "size", "mode", "mtime_ns", "sha256", "chunks",
        "phase", "hour_entry", "author_token", "created_at", "seq",
    ]

    static func fileVersion(from row: any SQLRow) throws -> FileVersion {
        let deleted = try row.decode(column: "deleted", as: Bool.self)
        var manifest: Manifest?
        if !deleted {
            guard let hash = ChunkID(bytes: try row.decode(column: "sha256", as: Data.self)),
                  let chunks = Manifest.decodeChunks(Array(try row.decode(column: "chunks", as: Data.self)))
            else { throw CatalogError.invalid("a stored file version's manifest is damaged") }
            manifest = Manifest(size: try row.decode(column: "size", as: Int64.self), fileHash: hash, chunks: chunks)
        }
        return FileVersion(
            id: try row.decode(column: "id", as: Int64.self),
            client: try row.decode(column: "client", as: String.self),
            project: try row.decode(column: "project", as: String.self),
            path: try row.decode(column: "path", as: String.self),
            version: try row.decode(column: "version", as: Int.self),
            deleted: deleted,
            size: try row.decode(column: "size", as: Int64.self),
            mode: try row.decode(column: "mode", as: Int.self),
            mtimeNs: try row.decode(column: "mtime_ns", as: Int64.self),
            manifest: manifest,
            phase: try row.decode(column: "phase", as: String?.self),
            hourEntry: try row.decode(column: "hour_entry", as: Int64?.self),
            authorToken: try row.decode(column: "author_token", as: Int64?.self),
            created: date(try row.decode(column: "created_at", as: Int64.self)),
            seq: try row.decode(column: "seq", as: Int64.self))
    }
}
