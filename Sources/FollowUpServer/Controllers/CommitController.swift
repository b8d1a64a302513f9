import Catalog
import ContentStore
import Hummingbird
import Ledger
import Synchronization
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
        return try JSONResponse(
            try await catalog.liveFiles(client: client, project: project, at: at, after: after, limit: limit).compactMap(Self.remoteFile))
    }

    private static func remoteFile(_ version: FileVersion) -> RemoteFile? {
        version.manifest.map { manifest in
            RemoteFile(
                path: version.path, version: version.version, size: version.size, mode: version.mode,
                mtimeNs: version.mtimeNs, sha256: ChunkDigest(words: manifest.fileHash.words))
        }
    }

    @Sendable func commit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.accessibleClient()
        try identity.require(.admin, .staff)
        let project = try context.parameters.require("project")
        let (handoff, size, requestHash) = try await decode(request, identity: identity)
        defer { MemoryRelease.afterRequest(ofSize: size) }
        return try await Idempotency.respond(to: request, requestHash: requestHash, identity: identity, catalog: catalog) { db in
            // The transaction runs this once (it does not retry).
            guard let commit = handoff.take() else { throw APIError.internal }
            let result = try await Catalog.commit(db, client: client, project: project, commit)
            return CommitResponse(
                written: result.written, deleted: result.deleted, unchanged: result.unchanged,
                hourEntry: result.hourEntry, cursor: result.feedSequence)
        }
    }

    /// The body, decoded as it arrives straight into the catalog's request (one copy of the
    /// push), and handed over so that only the transaction holds it.
    private func decode(_ request: Request, identity: Identity) async throws -> (Handoff, size: Int, requestHash: [UInt8]) {
        let body = try await CommitBody(request, limit: Self.limit)
        let hours = body.hours.map {
            HourLog(minutes: Minutes($0.minutes), service: $0.service, phase: $0.phase, note: $0.note ?? "", staff: identity.token.name)
        }
        let commit = CommitRequest(
            files: body.files, deletions: body.deletions, hours: hours, alertThresholds: policy.alertThresholds, authorToken: identity.token.id)
        return (Handoff(commit), body.size, body.requestHash)
    }

    /// A commit's request, taken once by its transaction: a closure holding it would keep the
    /// push's files alive while the response is encoded and stored, the next biggest step.
    private final class Handoff: Sendable {
        private let request: Mutex<CommitRequest?>

        init(_ request: CommitRequest) { self.request = Mutex(request) }

        func take() -> CommitRequest? {
            request.withLock { request in
                defer { request = nil }
                return request
            }
        }
    }
}
