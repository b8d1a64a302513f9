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

/// What a commit wrote: the paths, not the versions, so a push of 100,000 files does not
/// hold 100,000 `FileVersion`s (read them back with ``Catalog/latestVersions(client:project:at:after:limit:)``).
public struct CommitResult: Sendable, Hashable {
    /// Paths of the request's files that got a new version, in request order.
    public var written: [String]
    /// Paths that got a tombstone: the request's deletions, in request order.
    public var deleted: [String]
    /// Paths of the request's files that matched their latest live version, in request order.
    public var unchanged: [String]
    /// The ledger sequence of the hour entry logged with the commit, if any.
    public var hourEntry: Int64?
    /// The client's feed position after the commit: the last change written, or the
    /// current position if the commit changed nothing. A pull to here sees the commit.
    /// The tombstones and then the new versions hold the feed numbers just before it, one
    /// each, in that order.
    public var feedSequence: Int64

    public init(written: [String], deleted: [String], unchanged: [String], hourEntry: Int64?, feedSequence: Int64) {
        self.written = written
        self.deleted = deleted
        self.unchanged = unchanged
        self.hourEntry = hourEntry
        self.feedSequence = feedSequence
    }
}

extension Catalog {
    /// Rows or bound ids per statement in this file: well under every backend's bind limit
    /// (SQLite 32 766, PostgreSQL 65 535) even at three binds a row.
    private static let commitBatchSize = 400
    /// The project's current versions are read this many at a time by a commit.
    private static let headsPerPage = 5000

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

    /// A page of ``files(client:project:at:)``: at most `limit` live files, those whose paths
    /// sort after `after`, in path order; fewer only when the paths end. Reads on past
    /// tombstones, a page of ``latestVersions(client:project:at:after:limit:)`` at a time.
    public func liveFiles(client: String, project: String, at position: Int64?, after: String?, limit: Int) async throws -> [FileVersion] {
        var files: [FileVersion] = []
        var cursor = after
        while files.count < limit {
            let versions = try await latestVersions(client: client, project: project, at: position, after: cursor, limit: limit)
            files += versions.lazy.filter { !$0.deleted }.prefix(limit - files.count)
            guard versions.count == limit, let last = versions.last else { break }
            cursor = last.path
        }
        return files
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
        var requested = Set<PathKey>(minimumCapacity: request.files.count + request.deletions.count)
        func checkPath(_ path: String) throws {
            if let problem = filePathProblem(path) { throw CatalogError.invalid("invalid path \(quoted(path)): \(problem)") }
            guard requested.insert(PathKey(path)).inserted else {
                throw CatalogError.invalid("the path \(quoted(path)) appears twice in the commit")
            }
        }
        for file in request.files { try checkPath(file.path) }
        for path in request.deletions { try checkPath(path) }
        requested = []
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
            try await requireIndexedChunks(db, request.files)

            // 3. Against the project's current files.
            // Read a page at a time: a driver's rows cost far more than the heads made of them.
            var loaded: [Head] = []
            var after: String?
            while true {
                let rows = try await latestVersions(
                    db, client: client, project: project, at: nil,
                    columns: ["path", "version", "deleted", "size", "mode", "sha256"], liveOnly: false,
                    after: after, limit: headsPerPage
                ).all()
                for row in rows {
                    let head = try Head(row)
                    loaded.append(head)
                    after = head.path
                }
                if rows.count < headsPerPage { break }
            }
            var heads = Heads(&loaded)
            var deletions: [Int] = []  // the new tombstones' versions, in request order
            deletions.reserveCapacity(request.deletions.count)
            for path in request.deletions {
                guard let head = heads[PathKey(path)], !head.deleted else {
                    throw CatalogError.notFound("no file \(quoted(path)) in \(client)/\(project)")
                }
                deletions.append(head.version + 1)
            }
            // Indices into `request.files`, not copies of them.
            var puts: [(index: Int, version: Int)] = []
            var unchanged: [String] = []
            for (index, file) in request.files.enumerated() {
                let head = heads[PathKey(file.path)]
                if let head, !head.deleted, head.size == file.size, head.mode == file.mode, head.sha256 == file.manifest.fileHash {
                    unchanged.append(file.path)
                } else {
                    puts.append((index, (head?.version ?? 0) + 1))
                }
            }
            try checkFilesAndFolders(
                heads: heads, deleted: Set(request.deletions.lazy.map(PathKey.init)), added: request.files, client: client,
                project: project)
            heads = Heads()

            // 4. The hour entry, whose sequence the versions carry.
            var hourEntry: Int64?
            if let hours = request.hours {
                let logged = try await logHours(
                    db, client: client, project: project, log: hours, alertThresholds: request.alertThresholds, at: time)
                hourEntry = logged.entry.entry.sequence
            }

            // 5. Tombstones, then new versions, a batch at a time: what a batch needs is
            // built, written and dropped before the next, so memory does not grow with the push.
            let total = deletions.count + puts.count
            for start in stride(from: 0, to: total, by: commitBatchSize) {
                let batch = (start..<min(start + commitBatchSize, total)).map { item in
                    if item < deletions.count {
                        return NewVersion(path: request.deletions[item], version: deletions[item], file: nil)
                    }
                    let put = puts[item - deletions.count]
                    return NewVersion(path: request.files[put.index].path, version: put.version, file: request.files[put.index])
                }
                try await insertCommittedVersions(
                    db, client: client, project: project, batch, hourEntry: hourEntry, authorToken: request.authorToken, at: now)
            }
            guard let feedSequence = try await feedSequence(db, client: client) else {
                throw CatalogError.notFound("no client \(client)")
            }
            return CommitResult(
                written: puts.map { request.files[$0.index].path }, deleted: request.deletions, unchanged: unchanged,
                hourEntry: hourEntry, feedSequence: feedSequence)
        }
    }

    /// A path compared and hashed by its UTF-8 bytes, as the catalog compares paths (Swift's
    /// `==` on strings is canonical equivalence, which would make "é" precomposed and
    /// decomposed one file). It shares the string's storage instead of copying its bytes:
    /// sets of 100,000 paths cost 16 bytes a slot.
    // MARK: Paths

    /// Longest path, in UTF-8 bytes (PATH_MAX-safe on every client platform, with room for
    /// the sync folder and project prefix).
    public static let maxFilePathKey = 1024
    /// Longest path component, in UTF-8 bytes (NAME_MAX on Linux, macOS and in tar's ustar name).
    public static let maxFileNameBytes = 255

    /// Why `path` cannot name a file in a project, or nil if it can. Paths arrive from staff
    /// uploads and tar imports and end up as files in a client's folder, so they are
    /// hostile input: relative, "/"-separated, at most ``maxFilePathKey`` bytes, each
    /// component 1…``maxFileNameBytes`` bytes and neither "." nor "..", and no NUL or other
    /// control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F). Together these keep
    /// every path inside the project's folder. NFC is not required: the bytes are the name.
    public static func filePathProblem(_ path: String) -> String? {
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty else { return "a file needs a path" }
        guard bytes.count <= maxFilePathKey else { return "a path is at most \(maxFilePathKey) bytes" }
        guard bytes[0] != slash else { return "a path is relative to the project, so it cannot start with \"/\"" }
        if path.unicodeScalars.contains(where: \.isControl) {
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
            if scalar.isControl || scalar == "\"" || scalar == "\\" {
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

    /// Refuses a commit that would leave a path both a file and a folder. `heads`: the
    /// project's paths now; `deleted`: removed by the commit; `added`: the commit's files.
    private static func checkFilesAndFolders(
        heads: Heads, deleted: Set<PathKey>, added: [FileUpload], client: String, project: String
    ) throws {
        let addedPaths = Set(added.lazy.map { PathKey($0.path) })
        // The files after the commit, without a set of their own: the added ones, then the
        // live ones that stay.
        let staying = heads.all.lazy.map { (key: PathKey($0.path), deleted: $0.deleted) }
            .filter { !$0.deleted && !deleted.contains($0.key) && !addedPaths.contains($0.key) }.map(\.key)
        func isFileAfter(_ path: PathKey) -> Bool {
            if addedPaths.contains(path) { return true }
            guard let head = heads[path], !head.deleted else { return false }
            return !deleted.contains(path)
        }
        // Every folder of every file after the commit, against the added files, and every
        // folder of every added file against the files after the commit.
        for path in [AnySequence(addedPaths), AnySequence(staying)].joined() {
            for folder in path.folders where addedPaths.contains(folder) {
                let both = addedPaths.contains(path)
                let message = "\(quoted(folder.path)) cannot be a file in \(client)/\(project): \(quoted(path.path)) is inside it"
                throw both ? CatalogError.invalid(message) : CatalogError.conflict(message)
            }
        }
        for path in addedPaths {
            for folder in path.folders where isFileAfter(folder) {
                // A folder that is also added was reported above.
                let message = "\(quoted(path.path)) cannot be added to \(client)/\(project): \(quoted(folder.path)) is a file"
                throw CatalogError.conflict(message)
            }
        }
    }

    // MARK: Chunks

    /// Every chunk of the files' manifests is indexed with the length the manifest gives:
    /// `.conflict` naming up to 5 missing ids (in order of first use), `.invalid` for a
    /// wrong length.
    ///
    /// A commit normally refers to stored chunks only, with their lengths: that is checked
    /// a batch of ids at a time, so a push of 100,000 files needs no map of all its chunks.
    /// Anything else goes to ``explainUnindexedChunks(_:_:)``, which names the problem.
    private static func requireIndexedChunks(_ db: any SQLDatabase, _ files: [FileUpload]) async throws {
        var batch: [ChunkID: Int] = [:]
        batch.reserveCapacity(commitBatchSize)
        for file in files {
            for chunk in file.manifest.chunks {
                if let known = batch[chunk.id] {
                    guard known == chunk.length else { return try await explainUnindexedChunks(db, files) }
                    continue
                }
                batch[chunk.id] = chunk.length
                if batch.count == commitBatchSize {
                    guard try await storedWithLengths(db, batch) else { return try await explainUnindexedChunks(db, files) }
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        guard try await storedWithLengths(db, batch) else { return try await explainUnindexedChunks(db, files) }
    }

    /// Whether every chunk of `lengths` is in the index with that length.
    private static func storedWithLengths(_ db: any SQLDatabase, _ lengths: [ChunkID: Int]) async throws -> Bool {
        guard !lengths.isEmpty else { return true }
        let rows = try await db.select().columns("id", "chunk_length").from("chunks")
            .where("id", .in, SQLGroupExpression(lengths.keys.map { SQLBind(Data($0.bytes)) })).all()
        guard rows.count == lengths.count else { return false }
        for row in rows {
            guard let id = ChunkID(bytes: try row.decode(column: "id", as: Data.self)) else {
                throw CatalogError.invalid("a chunk id in the index is not 32 bytes")
            }
            guard lengths[id] == (try row.decode(column: "chunk_length", as: Int.self)) else { return false }
        }
        return true
    }

    /// The error for a commit whose chunks are not all stored with the lengths it gives, from
    /// a map of all of them: a chunk given two lengths, else up to 5 missing ids (in order of
    /// first use), else the first wrong length.
    private static func explainUnindexedChunks(_ db: any SQLDatabase, _ files: [FileUpload]) async throws {
        var order: [ChunkID] = []
        var lengths: [ChunkID: Int] = [:]
        for file in files {
            for chunk in file.manifest.chunks {
                if let known = lengths[chunk.id] {
                    guard known == chunk.length else { throw CatalogError.invalid("chunk \(chunk.id) is given two different lengths") }
                } else {
                    lengths[chunk.id] = chunk.length
                    order.append(chunk.id)
                }
            }
        }
        // Batch by batch in that order, keeping only what the errors need.
        var missing = 0
        var shown: [ChunkID] = []
        var wrongLength: (id: ChunkID, stored: Int)?
        for batch in order.chunked(commitBatchSize) {
            var stored: [ChunkID: Int] = [:]
            for row in try await db.select().columns("id", "chunk_length").from("chunks")
                .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).all() {
                guard let id = ChunkID(bytes: try row.decode(column: "id", as: Data.self)) else {
                    throw CatalogError.invalid("a chunk id in the index is not 32 bytes")
                }
                stored[id] = try row.decode(column: "chunk_length", as: Int.self)
            }
            for id in batch {
                if let length = stored[id] {
                    if wrongLength == nil, length != lengths[id] { wrongLength = (id, length) }
                } else {
                    missing += 1
                    if shown.count < 5 { shown.append(id) }
                }
            }
        }
        if missing > 0 {
            let list = shown.map(\.hex).joined(separator: ", ") + (missing > 5 ? ", …" : "")
            throw CatalogError.conflict(
                "\(missing) chunk\(missing == 1 ? " is" : "s are") not stored (\(list)): upload the missing chunks first")
        }
        if let wrongLength {
            throw CatalogError.invalid("chunk \(wrongLength.id) is \(wrongLength.stored) bytes in the store, not \(lengths[wrongLength.id] ?? 0)")
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
        /// Nil for a tombstone. An id, not `Data`: no allocation per head.
        var sha256: ChunkID?

        init(_ row: any SQLRow) throws {
            path = try row.decode(column: "path", as: String.self)
            version = try row.decode(column: "version", as: Int.self)
            deleted = try row.decode(column: "deleted", as: Bool.self)
            size = try row.decode(column: "size", as: Int64.self)
            mode = try row.decode(column: "mode", as: Int.self)
            sha256 = try row.decode(column: "sha256", as: Data?.self).flatMap { ChunkID(bytes: $0) }
        }
    }

    /// A project's newest versions sorted by their paths' bytes, found by binary search:
    /// a third of the memory of a dictionary of 100,000 of them.
    private struct Heads {
        private(set) var all: [Head] = []

        init() {}

        /// Takes `heads` (left empty).
        init(_ heads: inout [Head]) {
            swap(&all, &heads)
            all.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        }

        subscript(key: PathKey) -> Head? {
            var low = 0, high = all.count
            while low < high {
                let middle = (low + high) / 2
                if all[middle].path.utf8.lexicographicallyPrecedes(key.path.utf8) { low = middle + 1 } else { high = middle }
            }
            return low < all.count && all[low].path.utf8.elementsEqual(key.path.utf8) ? all[low] : nil
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

    /// A version a commit writes: a tombstone where `file` is nil.
    private struct NewVersion {
        var path: String
        var version: Int
        var file: FileUpload?
    }

    /// Inserts one batch of a commit's versions `items` in order, with their changes (the
    /// next consecutive feed numbers) and, for puts, their `file_chunks` rows and the
    /// chunks' `last_used`, in multi-row statements: a push of thousands of files is a few
    /// statements per batch, not thousands. The caller has checked everything.
    private static func insertCommittedVersions(
        _ db: any SQLDatabase, client: String, project: String, _ items: [NewVersion],
        hourEntry: Int64?, authorToken: Int64, at now: Int64
    ) async throws {
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
        var puts: [(id: Int64, chunks: [ChunkRef])] = []
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
                if let file = item.file { puts.append((id, file.manifest.chunks)) }
            }
        }
        try await indexFileChunks(db, client: client, versions: puts)
        // Marked used, as deduplication against them would.
        var used = Set<ChunkID>()
        for put in puts {
            for chunk in put.chunks { used.insert(chunk.id) }
        }
        for batch in Array(used).chunked(commitBatchSize) {
            try await db.update("chunks").set("last_used", to: SQLBind(now))
                .where("id", .in, SQLGroupExpression(batch.map { SQLBind(Data($0.bytes)) })).run()
        }
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

extension PathKey {
    /// The folders the path is in, outermost first: "a/b/c" is in "a" and "a/b".
    var folders: [PathKey] {
        path.utf8.indices.filter { path.utf8[$0] == UInt8(ascii: "/") }.map { PathKey(String(path[..<$0])) }
    }
}
