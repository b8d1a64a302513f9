import Catalog
import ContentStore
import Hummingbird
import Ledger
import SyncProtocol

/// `POST /v1/clients/{c}/projects/{p}/commits` (staff): the files of a push,
/// their deletions and an optional hour entry, applied in one transaction once
/// every chunk is stored.
struct CommitController {
    let catalog: Catalog
    let policy: PricingPolicy

    /// A commit lists every file of a push: allow far more than the 1 MiB of other routes.
    static let limit = 64 << 20

    func addRoutes(commits: RouterGroup<AppRequestContext>, files: RouterGroup<AppRequestContext>) {
        commits.post(use: commit)
        files.get(use: list)
    }

    /// A page of the file list holds at most this many files.
    static let maxPageFiles = 100_000

    /// The project's live files, now or as of change-feed position `at`, in path order
    /// (bytewise). With `limit`, one page: at most that many files, those whose path sorts
    /// after `after`; a page shorter than `limit` is the last. Without, the whole list.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        let project = try context.parameters.require("project")
        let query = request.uri.queryParameters
        let at = try query["at"].map { text in
            guard let value = Int64(String(text)), value >= 0 else { throw APIError.badRequest("at is a change-feed position ≥ 0") }
            return value
        }
        let limit = try query["limit"].map { text in
            guard let value = Int(String(text)), (1...Self.maxPageFiles).contains(value) else {
                throw APIError.badRequest("limit is a number of files from 1 to \(Self.maxPageFiles)")
            }
            return value
        }
        let after = query["after"].map(String.init)
        guard let limit else {
            if after != nil { throw APIError.badRequest("after needs a limit") }
            return try JSONResponse(try await catalog.files(client: client, project: project, at: at).compactMap(Self.remoteFile))
        }
        // Catalog pages include tombstones: read on until the page is full or the paths end.
        var files: [RemoteFile] = []
        var cursor = after
        while files.count < limit {
            let versions = try await catalog.latestVersions(client: client, project: project, at: at, after: cursor, limit: limit)
            files += versions.lazy.filter { !$0.deleted }.compactMap(Self.remoteFile).prefix(limit - files.count)
            guard versions.count == limit, let last = versions.last else { break }
            cursor = last.path
        }
        return try JSONResponse(files)
    }

    private static func remoteFile(_ version: FileVersion) -> RemoteFile? {
        version.manifest.map { manifest in
            RemoteFile(
                path: version.path, version: version.version, size: version.size, mode: version.mode,
                mtimeNs: version.mtimeNs, sha256: ChunkDigest(bytes: manifest.fileHash.bytes)!)
        }
    }

    @Sendable func commit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.accessibleClient()
        try identity.require(.admin, .staff)
        let project = try context.parameters.require("project")
        let body = try await JSONBody<CommitRequestBody>(request, context: context, limit: Self.limit)
        let input = body.value
        let files = input.files.map { file in
            FileUpload(
                path: file.path, size: file.size, mode: file.mode, mtimeNs: file.mtimeNs,
                manifest: Manifest(
                    size: file.size, fileHash: ChunkID(bytes: file.sha256.bytes)!,
                    chunks: file.chunks.map { ChunkRef(id: ChunkID(bytes: $0.id.bytes)!, length: Int($0.length)) }),
                phase: file.phase)
        }
        let hours = input.hours.map {
            HourLog(minutes: Minutes($0.minutes), service: $0.service, phase: $0.phase, note: $0.note ?? "", staff: identity.token.name)
        }
        let commit = CommitRequest(
            files: files, deletions: input.deletions, hours: hours, alertThresholds: policy.alertThresholds, authorToken: identity.token.id)
        defer { MemoryRelease.afterRequest(ofSize: body.size) }
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            let result = try await Catalog.commit(db, client: client, project: project, commit)
            return CommitResponse(
                written: result.versions.map(\.path), deleted: result.tombstones.map(\.path), unchanged: result.unchanged,
                hourEntry: result.hourEntry, cursor: result.feedSequence)
        }
    }
}
