import ContentStore
import Foundation
import Ledger
import SQLKit

/// One file of a staff push: its path in the project, metadata and content.
///
/// Hostile input until `Catalog.commit` has checked it: the path against
/// ``Catalog/filePathProblem(_:)``, the size and chunk lengths against the manifest, the
/// chunks against the chunk index.
public struct FileUpload: Sendable, Hashable, Codable {
    /// Relative to the project, "/"-separated (see ``Catalog/filePathProblem(_:)``).
    public var path: String
    /// Must equal `manifest.size` and the sum of its chunk lengths.
    public var size: Int64
    /// Permission bits (0…0o7777), as the content store's scanner records them; for an
    /// empty folder, ``directoryFlag`` plus its permission bits (and no content).
    public var mode: Int
    /// Modification time in nanoseconds since 1970, as the uploader's file had it.
    public var mtimeNs: Int64
    public var manifest: Manifest
    /// A phase of the project, or nil.
    public var phase: String?

    public init(path: String, size: Int64, mode: Int, mtimeNs: Int64, manifest: Manifest, phase: String? = nil) {
        self.path = path
        self.size = size
        self.mode = mode
        self.mtimeNs = mtimeNs
        self.manifest = manifest
        self.phase = phase
    }

    /// `S_IFDIR`: the mode bit of an empty-folder entry.
    public static let directoryFlag = 0o040000

    /// Whether `mode` is an empty folder's: ``directoryFlag`` plus permission bits.
    public static func isDirectory(mode: Int) -> Bool {
        mode & ~0o7777 == directoryFlag
    }

    /// Snake case on the wire, as the change feed's `mtime_ns`.
    enum CodingKeys: String, CodingKey {
        case path, size, mode, manifest, phase
        case mtimeNs = "mtime_ns"
    }
}

/// A staff push to one project: applied by `Catalog.commit` all or nothing.
public struct CommitRequest: Sendable, Hashable {
    /// New or changed files; a file whose content and mode match the latest live version
    /// is reported unchanged and gets no version.
    public var files: [FileUpload]
    /// Paths to delete; each must be live.
    public var deletions: [String]
    /// Optional hour entry logged with the commit and linked to its versions.
    public var hours: HourLog?
    /// Budget alert thresholds for the hour entry (the server's configuration).
    public var alertThresholds: [Percent]
    /// The token that pushed: stored on every new version.
    public var authorToken: Int64

    public init(
        files: [FileUpload] = [], deletions: [String] = [], hours: HourLog? = nil, alertThresholds: [Percent] = [],
        authorToken: Int64
    ) {
        self.files = files
        self.deletions = deletions
        self.hours = hours
        self.alertThresholds = alertThresholds
        self.authorToken = authorToken
    }
}

/// What a commit wrote.
public struct CommitResult: Sendable, Hashable {
    /// The new versions, in the order of the request's files.
    public var versions: [FileVersion]
    /// The tombstones, in the order of the request's deletions.
    public var tombstones: [FileVersion]
    /// Paths of the request's files that matched their latest live version, in request order.
    public var unchanged: [String]
    /// The ledger sequence of the hour entry logged with the commit, if any.
    public var hourEntry: Int64?
    /// The client's feed position after the commit: the last change written, or the
    /// current position if the commit changed nothing. A pull to here sees the commit.
    public var feedSequence: Int64

    public init(versions: [FileVersion], tombstones: [FileVersion], unchanged: [String], hourEntry: Int64?, feedSequence: Int64) {
        self.versions = versions
        self.tombstones = tombstones
        self.unchanged = unchanged
        self.hourEntry = hourEntry
        self.feedSequence = feedSequence
    }
}

extension Catalog {
    /// Rows or bound ids per statement in this file: well under every backend's bind limit
    /// (SQLite 32 766, PostgreSQL 65 535) even at three binds a row.
    private static let commitBatchSize = 400

    // MARK: Instance API

    /// Applies a staff push to a project in ONE transaction: versions, tombstones, the
    /// optional hour entry and their feed events all commit, or none does. See the static
    /// ``commit(_:client:project:_:at:)`` for the rules. The domain's `LedgerError`
    /// (e.g. `insufficientBalance`) comes out unchanged.
    public func commit(client: String, project: String, _ request: CommitRequest, at time: Date = Date()) async throws -> CommitResult {
        try await ledgerTransaction { db in
            try await Catalog.commit(db, client: client, project: project, request, at: time)
        }
    }

    /// True if some version of `client`'s files — any version, not only the latest, since a
    /// client may fetch its history — references the chunk. The fetch authorization for
    /// client tokens: a client may read a chunk only if its own files contain it, so dedup
    /// across clients never reveals another client's content. False for an unknown client.
    public func clientReferences(chunk: ChunkID, client: String) async throws -> Bool {
        try await read { db in
            try await db.select().column(SQLLiteral.numeric("1")).from("file_chunks")
                .where("client", .equal, SQLBind(client)).where("chunk", .equal, SQLBind(Data(chunk.bytes)))
                .limit(1).first() != nil
        }
    }

    /// The subset of `ids` that `client` may fetch (see ``clientReferences(chunk:client:)``),
    /// one indexed query per batch of at most 400 ids, so a fetch of thousands of chunks
    /// is authorized in a handful of queries.
    public func chunksVisible(to client: String, among ids: [ChunkID]) async throws -> Set<ChunkID> {
        let distinct = Array(Set(ids))
        guard !distinct.isEmpty else { return [] }
        return try await read { db in
            var visible = Set<ChunkID>()
            for batch in distinct.chunked(Catalog.commitBatchSize) {
                let rows = try await db.select().distinct().column("chunk").from("file_chunks")
                    .where("client", .equal, SQLBind(client))
                    .where("chunk", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) }))
                    .all()
                for row in rows {
                    guard let id = ChunkID(bytes: try row.decode(column: "chunk", as: Data.self)) else {
                        throw CatalogError.invalid("a chunk id in the file chunk index is not 32 bytes")
                    }
                    visible.insert(id)
                }
            }
            return visible
        }
    }

    /// The live files of a project as of change-feed position `at` (nil: now): for each path
    /// its latest version with seq ≤ `at`, unless that is a tombstone. Ordered by path.
    /// What an export `?at=N` or a fresh pull to cursor N must contain. `.notFound` for an
    /// unknown client or project, `.invalid` for a negative position.
    public func files(client: String, project: String, at position: Int64? = nil) async throws -> [FileVersion] {
        if let position, position < 0 { throw CatalogError.invalid("a feed position cannot be negative") }
        return try await read { db in
            _ = try await Catalog.requireProject(db, client: client, project: project)
            return try await Catalog.latestVersions(
                db, client: client, project: project, at: position,
                columns: Catalog.fileVersionColumns, liveOnly: true
            )
            .all()
            .map(Catalog.fileVersion(from:))
        }
    }

    /// One page of the latest versions of a project's paths as of `at` (see
    /// ``files(client:project:at:)``), for a reader of any number of files: the paths that
    /// sort after `after`, at most `limit` of them, in path order. Tombstones are included,
    /// so a page is short only at the end and the next one starts after its last path.
    public func latestVersions(client: String, project: String, at position: Int64?, after: String?, limit: Int) async throws -> [FileVersion] {
        if let position, position < 0 { throw CatalogError.invalid("a feed position cannot be negative") }
        guard limit > 0 else { throw CatalogError.invalid("a page holds at least one path") }
        return try await read { db in
            _ = try await Catalog.requireProject(db, client: client, project: project)
            return try await Catalog.latestVersions(
                db, client: client, project: project, at: position,
                columns: Catalog.fileVersionColumns, liveOnly: false, after: after, limit: limit
            )
            .all()
            .map(Catalog.fileVersion(from:))
        }
    }

    // MARK: Steps on a caller's transaction (for `idempotent(…)`)

    /// `commit` on the caller's transaction, all or nothing (one savepoint): when it throws,
    /// nothing of it stays, even if the caller catches the error and commits.
    ///
    /// In order:
    /// 1. every path is checked (``filePathProblem(_:)``); two paths equal byte for byte —
    ///    among the files, the deletions or across both — are `.invalid` (NFC is not
    ///    required, so "é" precomposed and decomposed are two different files); every file's
    ///    size must equal its manifest's and the sum of its chunk lengths, its mode be
    ///    permission bits (0…0o7777), its phase one of the project's. `.notFound` for an
    ///    unknown client or project.
    /// 2. every chunk of every manifest must be in the chunk index with the length the
    ///    manifest gives (`.invalid` otherwise), else `.conflict` naming up to 5 missing ids:
    ///    the uploader sends them (`PUT /v1/chunks`) and commits again. Checked inside the
    ///    transaction, so gc (whose index changes are transactions too) cannot drop a chunk
    ///    between the check and the commit.
    /// 3. a file whose sha256, size and mode match its path's latest live version is
    ///    unchanged (an mtime or phase change alone makes no version); a deletion of a path
    ///    that is not live is `.notFound`. A path cannot end up both a file and a folder:
    ///    adding "a/b" while "a" stays a file (or "a" while "a/b" stays) is `.conflict`
    ///    (`.invalid` when both are in the request), since no folder or tar could hold both.
    /// 4. the hour entry, if any, goes through ``logHours(_:client:project:log:alertThresholds:at:)``
    ///    (balance, overage, 422-style `LedgerError`s and budget alerts as for any hour entry),
    ///    and its sequence is stored as `hour_entry` on every version the commit writes,
    ///    tombstones included. It is logged even when no file changed: the work was done.
    /// 5. tombstones first, then the new versions, so a client replaying the feed in order
    ///    removes "a" before it creates "a/b". Each gets one change: "file.delete"
    ///    {"version"} or "file.put" {"chunks": [[hex id, length], …], "mode", "mtime_ns",
    ///    "sha256", "size", "version"}, enough for a pull to fetch and place the file from
    ///    the feed alone. Each put's chunks go into `file_chunks` (fetch authorization) and
    ///    are marked used (`last_used`), as deduplication against them would.
    ///
    /// Re-committing identical content writes nothing (apart from an hour entry, if given).
    public static func commit(
        _ db: any SQLDatabase, client: String, project: String, _ request: CommitRequest, at time: Date = Date()
    ) async throws -> CommitResult {
        // 1. The request on its own: no database needed to refuse it.
        var requested = Set<[UInt8]>()
        for path in request.files.map(\.path) + request.deletions {
            if let problem = filePathProblem(path) { throw CatalogError.invalid("invalid path \(quoted(path)): \(problem)") }
            guard requested.insert(Array(path.utf8)).inserted else {
                throw CatalogError.invalid("the path \(quoted(path)) appears twice in the commit")
            }
        }
        for file in request.files {
            if let problem = uploadProblem(file) { throw CatalogError.invalid("\(quoted(file.path)): \(problem)") }
        }
        let now = timestamp(time)
        return try await atomically(db) {
            _ = try await requireClient(db, client)
            let owner = try await requireProject(db, client: client, project: project)
            for file in request.files {
                if let phase = file.phase, !owner.phases.contains(phase) {
                    throw CatalogError.invalid("project \(client)/\(project) has no phase \(phase)")
                }
            }
            // 2. The chunks must be stored before anything refers to them.
            try await requireIndexedChunks(db, request.files.map(\.manifest))

            // 3. Against the project's current files.
            var heads: [[UInt8]: Head] = [:]
            for row in try await latestVersions(
                db, client: client, project: project, at: nil,
                columns: ["path", "version", "deleted", "size", "mode", "sha256"], liveOnly: false
            ).all() {
                let head = try Head(row)
                heads[Array(head.path.utf8)] = head
            }
            var deletions: [(path: String, version: Int)] = []
            for path in request.deletions {
                guard let head = heads[Array(path.utf8)], !head.deleted else {
                    throw CatalogError.notFound("no file \(quoted(path)) in \(client)/\(project)")
                }
                deletions.append((path, head.version + 1))
            }
            var puts: [(file: FileUpload, version: Int)] = []
            var unchanged: [String] = []
            for file in request.files {
                let head = heads[Array(file.path.utf8)]
                if let head, !head.deleted, head.size == file.size, head.mode == file.mode,
                   head.sha256 == Data(file.manifest.fileHash.bytes)
                {
                    unchanged.append(file.path)
                } else {
                    puts.append((file, (head?.version ?? 0) + 1))
                }
            }
            try checkFilesAndFolders(
                live: heads.filter { !$0.value.deleted }.map(\.key), deleted: Set(request.deletions.map { Array($0.utf8) }),
                added: request.files.map(\.path), client: client, project: project)

            // 4. The hour entry, whose sequence the versions carry.
            var hourEntry: Int64?
            if let hours = request.hours {
                let logged = try await logHours(
                    db, client: client, project: project, log: hours, alertThresholds: request.alertThresholds, at: time)
                hourEntry = logged.entry.entry.sequence
            }

            // 5. Tombstones, then new versions.
            let written = try await insertCommittedVersions(
                db, client: client, project: project,
                deletions.map { ($0.path, $0.version, nil) } + puts.map { ($0.file.path, $0.version, $0.file) },
                hourEntry: hourEntry, authorToken: request.authorToken, at: now)
            let tombstones = Array(written.prefix(deletions.count))
            let versions = Array(written.dropFirst(deletions.count))
            var used = Set<ChunkID>()
            for put in puts {
                for chunk in put.file.manifest.chunks { used.insert(chunk.id) }
            }
            for batch in Array(used).chunked(commitBatchSize) {
                try await db.update("chunks").set("last_used", to: SQLBind(now))
                    .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).run()
            }
            guard let feedSequence = try await feedSequence(db, client: client) else {
                throw CatalogError.notFound("no client \(client)")
            }
            return CommitResult(
                versions: versions, tombstones: tombstones, unchanged: unchanged, hourEntry: hourEntry,
                feedSequence: feedSequence)
        }
    }

    // MARK: Paths

    /// Longest path, in UTF-8 bytes (PATH_MAX-safe on every client platform, with room for
    /// the sync folder and project prefix).
    public static let maxFilePathBytes = 1024
    /// Longest path component, in UTF-8 bytes (NAME_MAX on Linux, macOS and in tar's ustar name).
    public static let maxFileNameBytes = 255

    /// Why `path` cannot name a file in a project, or nil if it can. Paths arrive from staff
    /// uploads and tar imports and end up as files in a client's folder, so they are
    /// hostile input: relative, "/"-separated, at most ``maxFilePathBytes`` bytes, each
    /// component 1…``maxFileNameBytes`` bytes and neither "." nor "..", and no NUL or other
    /// control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F). Together these keep
    /// every path inside the project's folder. NFC is not required: the bytes are the name.
    public static func filePathProblem(_ path: String) -> String? {
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty else { return "a file needs a path" }
        guard bytes.count <= maxFilePathBytes else { return "a path is at most \(maxFilePathBytes) bytes" }
        guard bytes[0] != slash else { return "a path is relative to the project, so it cannot start with \"/\"" }
        if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a path cannot contain NUL or control characters"
        }
        for component in bytes.split(separator: slash, omittingEmptySubsequences: false) {
            if component.isEmpty { return "a path cannot have an empty component (\"//\" or a trailing \"/\")" }
            if component.elementsEqual([dot]) || component.elementsEqual([dot, dot]) {
                return "a path cannot have a \".\" or \"..\" component"
            }
            if component.count > maxFileNameBytes { return "a path component is at most \(maxFileNameBytes) bytes" }
        }
        return nil
    }

    /// A path for an error message: at most 100 characters, control characters escaped, so a
    /// hostile path cannot forge log lines or flood a response.
    static func quoted(_ path: String) -> String {
        var out = "\""
        for (index, scalar) in path.unicodeScalars.enumerated() {
            if index == 100 { out += "…"; break }
            if scalar.properties.generalCategory == .control || scalar == "\"" || scalar == "\\" {
                out += scalar == "\"" ? "\\\"" : scalar == "\\" ? "\\\\" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// What is wrong with a file's metadata against its own manifest, or nil.
    private static func uploadProblem(_ file: FileUpload) -> String? {
        guard file.size >= 0, file.size == file.manifest.size else {
            return "the size \(file.size) does not match the manifest's \(file.manifest.size)"
        }
        if FileUpload.isDirectory(mode: file.mode) {
            // An empty folder: part of the tree, with no content.
            guard file.size == 0, file.manifest.chunks.isEmpty else { return "a folder entry has no content" }
            return nil
        }
        guard (0...0o7777).contains(file.mode) else {
            return "a file mode is permission bits only, 0 to 0o7777 (or 0o40000 plus them for an empty folder)"
        }
        var total: Int64 = 0
        for chunk in file.manifest.chunks {
            // The catalog stores lengths as u32 (`Manifest.encodedChunks`).
            guard chunk.length > 0, chunk.length <= Int(UInt32.max) else { return "a chunk is 1 to 4294967295 bytes long" }
            total += Int64(chunk.length)
        }
        guard total == file.size else { return "the chunks add up to \(total) bytes, not the file's \(file.size)" }
        return nil
    }

    /// Refuses a commit that would leave a path both a file and a folder. `live`: the
    /// project's live paths now; `deleted`: removed by the commit; `added`: the commit's files.
    private static func checkFilesAndFolders(
        live: [[UInt8]], deleted: Set<[UInt8]>, added: [String], client: String, project: String
    ) throws {
        let slash = UInt8(ascii: "/")
        var addedPaths = Set<[UInt8]>()
        for path in added { addedPaths.insert(Array(path.utf8)) }
        var after = addedPaths
        for path in live where !deleted.contains(path) { after.insert(path) }
        // Every folder of every file after the commit, against the added files, and every
        // folder of every added file against the files after the commit.
        func folders(of path: [UInt8]) -> [[UInt8]] {
            path.indices.filter { path[$0] == slash }.map { Array(path[..<$0]) }
        }
        for path in after {
            for folder in folders(of: path) where addedPaths.contains(folder) {
                let both = addedPaths.contains(path)
                let message = "\(quoted(String(decoding: folder, as: UTF8.self))) cannot be a file in \(client)/\(project): "
                    + "\(quoted(String(decoding: path, as: UTF8.self))) is inside it"
                throw both ? CatalogError.invalid(message) : CatalogError.conflict(message)
            }
        }
        for path in addedPaths {
            for folder in folders(of: path) where after.contains(folder) {
                // A folder that is also added was reported above.
                let message = "\(quoted(String(decoding: path, as: UTF8.self))) cannot be added to \(client)/\(project): "
                    + "\(quoted(String(decoding: folder, as: UTF8.self))) is a file"
                throw CatalogError.conflict(message)
            }
        }
    }

    // MARK: Chunks

    /// Every chunk of `manifests` is indexed with the length the manifest gives: `.conflict`
    /// naming up to 5 missing ids (in order of first use), `.invalid` for a wrong length.
    private static func requireIndexedChunks(_ db: any SQLDatabase, _ manifests: [Manifest]) async throws {
        var order: [ChunkID] = []
        var lengths: [ChunkID: Int] = [:]
        for manifest in manifests {
            for chunk in manifest.chunks {
                if let known = lengths[chunk.id] {
                    guard known == chunk.length else { throw CatalogError.invalid("chunk \(chunk.id) is given two different lengths") }
                } else {
                    lengths[chunk.id] = chunk.length
                    order.append(chunk.id)
                }
            }
        }
        var stored: [ChunkID: Int] = [:]
        for batch in order.chunked(commitBatchSize) {
            for row in try await db.select().columns("id", "chunk_length").from("chunks")
                .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).all() {
                guard let id = ChunkID(bytes: try row.decode(column: "id", as: Data.self)) else {
                    throw CatalogError.invalid("a chunk id in the index is not 32 bytes")
                }
                stored[id] = try row.decode(column: "chunk_length", as: Int.self)
            }
        }
        let missing = order.filter { stored[$0] == nil }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map(\.hex).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
            throw CatalogError.conflict(
                "\(missing.count) chunk\(missing.count == 1 ? " is" : "s are") not stored (\(shown)): upload the missing chunks first")
        }
        for id in order where stored[id] != lengths[id] {
            throw CatalogError.invalid("chunk \(id) is \(stored[id] ?? 0) bytes in the store, not \(lengths[id] ?? 0)")
        }
    }

    /// Records which chunks version `versionID` of `client` references, once each, for
    /// ``clientReferences(chunk:client:)``. Call it in the transaction that inserts the version.
    static func indexFileChunks(_ db: any SQLDatabase, client: String, versionID: Int64, chunks: [ChunkRef]) async throws {
        try await indexFileChunks(db, client: client, versions: [(versionID, chunks)])
    }

    /// `file_chunks` rows for many versions of one client, in multi-row inserts.
    static func indexFileChunks(_ db: any SQLDatabase, client: String, versions: [(id: Int64, chunks: [ChunkRef])]) async throws {
        var rows: [(chunk: ChunkID, version: Int64)] = []
        for version in versions {
            var seen = Set<ChunkID>()
            for chunk in version.chunks where seen.insert(chunk.id).inserted { rows.append((chunk.id, version.id)) }
        }
        for batch in rows.chunked(commitBatchSize) {
            let insert = db.insert(into: "file_chunks").columns("client", "chunk", "version_id")
            for row in batch { insert.values(SQLBind(client), SQLBind(Data(row.chunk.bytes)), SQLBind(row.version)) }
            // Idempotent, so the backfill can run over rows that already have theirs.
            try await insert.ignoringConflicts(with: ["version_id", "chunk"]).run()
        }
    }

    /// Fills `file_chunks` from every stored version's chunk list, a page of versions at a
    /// time (constant memory). Run by the migration that adds the table, and safe to run
    /// again: rows already present are kept.
    static func backfillFileChunks(_ db: any SQLDatabase) async throws {
        var after: Int64 = 0
        while true {
            let rows = try await db.select().columns("id", "client", "chunks").from("file_versions")
                .where("id", .greaterThan, SQLBind(after)).where("chunks", .isNot, SQLLiteral.null)
                .orderBy("id").limit(500).all()
            guard let last = rows.last else { return }
            for row in rows {
                guard let refs = Manifest.decodeChunks(Array(try row.decode(column: "chunks", as: Data.self))) else {
                    throw CatalogError.invalid("a stored file version's chunk list is damaged")
                }
                try await indexFileChunks(
                    db, client: try row.decode(column: "client", as: String.self),
                    versionID: try row.decode(column: "id", as: Int64.self), chunks: refs)
            }
            after = try last.decode(column: "id", as: Int64.self)
        }
    }

    // MARK: Versions

    /// A path's newest version, as much of it as a commit compares.
    private struct Head {
        var path: String
        var version: Int
        var deleted: Bool
        var size: Int64
        var mode: Int
        var sha256: Data?

        init(_ row: any SQLRow) throws {
            path = try row.decode(column: "path", as: String.self)
            version = try row.decode(column: "version", as: Int.self)
            deleted = try row.decode(column: "deleted", as: Bool.self)
            size = try row.decode(column: "size", as: Int64.self)
            mode = try row.decode(column: "mode", as: Int.self)
            sha256 = try row.decode(column: "sha256", as: Data?.self)
        }
    }

    /// For each path of the project its newest version with seq ≤ `position` (nil: any),
    /// joined back to its row; only non-tombstones if `liveOnly`. Ordered by path. Versions
    /// of a path grow with the feed, so the newest version up to a position is the one the
    /// feed had announced last there. Served by `file_versions_by_path`.
    private static func latestVersions(
        _ db: any SQLDatabase, client: String, project: String, at position: Int64?, columns: [String], liveOnly: Bool,
        after: String? = nil, limit: Int? = nil
    ) -> SQLSelectBuilder {
        let latest = SQLSubquery.select { builder in
            builder
                .column("path")
                .column(SQLFunction("MAX", args: SQLColumn("version")), as: "version")
                .from("file_versions")
                .where("client", .equal, SQLBind(client))
                .where("project", .equal, SQLBind(project))
            if let position { builder.where("seq", .lessThanOrEqual, SQLBind(position)) }
            if let after { builder.where("path", .greaterThan, SQLBind(after)) }
            builder.groupBy("path")
            // A page walks the (client, project, path, version) index and stops.
            if let limit { builder.orderBy("path").limit(limit) }
            return builder
        }
        let onLatest = SQLBinaryExpression(
            SQLBinaryExpression(SQLColumn("path", table: "file_versions"), .equal, SQLColumn("path", table: "latest")),
            .and,
            SQLBinaryExpression(SQLColumn("version", table: "file_versions"), .equal, SQLColumn("version", table: "latest")))
        let query = db.select()
            .columns(columns.map { SQLColumn($0, table: "file_versions") })
            .from("file_versions")
            .join(SQLAlias(latest, as: SQLIdentifier("latest")), method: SQLJoinMethod.inner, on: onLatest)
            .where(SQLColumn("client", table: "file_versions"), .equal, SQLBind(client))
            .where(SQLColumn("project", table: "file_versions"), .equal, SQLBind(project))
        if liveOnly { query.where(SQLColumn("deleted", table: "file_versions"), .equal, SQLBind(false)) }
        return query.orderBy(SQLColumn("path", table: "file_versions"))
    }

    /// Inserts the versions `items` (a tombstone where `file` is nil) in order, their
    /// changes (consecutive feed numbers) and, for puts, their `file_chunks` rows, in
    /// multi-row statements: a push of thousands of files is a few dozen statements, not
    /// thousands. The caller has checked everything.
    private static func insertCommittedVersions(
        _ db: any SQLDatabase, client: String, project: String, _ items: [(path: String, version: Int, file: FileUpload?)],
        hourEntry: Int64?, authorToken: Int64, at now: Int64
    ) async throws -> [FileVersion] {
        let encoder = changeEncoder()
        let changes = try items.map { item in
            let data = if let file = item.file {
                try jsonObject(FilePutData(
                    version: item.version, size: file.size, sha256: file.manifest.fileHash.hex, mode: file.mode,
                    mtimeNs: file.mtimeNs, chunks: file.manifest.chunks.map(ChunkPair.init)), using: encoder)
            } else {
                try jsonObject(FileDeleteData(version: item.version), using: encoder)
            }
            return NewChange(kind: item.file == nil ? "file.delete" : "file.put", project: project, path: item.path, data: data)
        }
        let sequences = try await appendChanges(db, client: client, changes, at: now)
        var versions: [FileVersion] = []
        versions.reserveCapacity(items.count)
        for batch in Array(zip(items, sequences)).chunked(commitBatchSize) {
            let insert = db.insert(into: "file_versions").columns(
                "client", "project", "path", "version", "deleted", "size", "mode", "mtime_ns", "sha256", "chunks",
                "phase", "hour_entry", "author_token", "created_at", "seq")
            for (item, seq) in batch {
                let manifest = item.file?.manifest
                // A tombstone has no content or metadata: size, mode and mtime are 0.
                insert.values(
                    SQLBind(client), SQLBind(project), SQLBind(item.path), SQLBind(item.version), SQLBind(item.file == nil),
                    SQLBind(item.file?.size ?? 0), SQLBind(item.file?.mode ?? 0), SQLBind(item.file?.mtimeNs ?? 0),
                    SQLBind(manifest.map { Data($0.fileHash.bytes) }), SQLBind(manifest.map { Data($0.encodedChunks) }),
                    SQLBind(item.file?.phase), SQLBind(hourEntry), SQLBind(authorToken), SQLBind(now), SQLBind(seq))
            }
            // RETURNING order is not guaranteed: match the ids by feed number.
            var ids: [Int64: Int64] = [:]
            for row in try await insert.returning("id", "seq").all() {
                ids[try row.decode(column: "seq", as: Int64.self)] = try row.decode(column: "id", as: Int64.self)
            }
            for (item, seq) in batch {
                guard let id = ids[seq] else { throw CatalogError.database("a new file version has no id") }
                versions.append(FileVersion(
                    id: id, client: client, project: project, path: item.path, version: item.version, deleted: item.file == nil,
                    size: item.file?.size ?? 0, mode: item.file?.mode ?? 0, mtimeNs: item.file?.mtimeNs ?? 0,
                    manifest: item.file?.manifest, phase: item.file?.phase, hourEntry: hourEntry, authorToken: authorToken,
                    created: date(now), seq: seq))
            }
        }
        try await indexFileChunks(db, client: client, versions: versions.compactMap { version in
            version.manifest.map { (version.id, $0.chunks) }
        })
        return versions
    }

    /// The `data` of a committed "file.put": everything a pull needs to fetch the chunks it
    /// lacks, assemble the file, check it and set its metadata, without another request.
    private struct FilePutData: Encodable {
        var version: Int
        var size: Int64
        var sha256: String
        var mode: Int
        var mtimeNs: Int64
        var chunks: [ChunkPair]

        enum CodingKeys: String, CodingKey {
            case version, size, sha256, mode, chunks
            case mtimeNs = "mtime_ns"
        }
    }

    /// The `data` of a committed "file.delete".
    private struct FileDeleteData: Encodable {
        var version: Int
    }

    /// A chunk as `[hex id, length]`: compact for files of many chunks.
    private struct ChunkPair: Encodable {
        var ref: ChunkRef

        init(_ ref: ChunkRef) { self.ref = ref }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(ref.id.hex)
            try container.encode(ref.length)
        }
    }
}
