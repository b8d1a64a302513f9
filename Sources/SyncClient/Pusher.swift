import ContentStore
import Foundation
import Logging
import SyncProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a push did: `push --json` prints it.
public struct PushSummary: Codable, Hashable, Sendable {
    public var files: Int
    public var bytes: Int64
    /// Bytes of chunks the server did not have, sent.
    public var uploadedBytes: Int64
    /// Bytes the server already had (from any client), not sent.
    public var deduplicatedBytes: Int64
    public var written: Int
    public var deleted: Int
    public var unchanged: Int
    /// The client's change-feed position after the commit.
    public var commit: Int64
    /// Files read and hashed; the others were untouched since the last push (`PushCache`).
    public var hashedFiles: Int

    enum CodingKeys: String, CodingKey {
        case files, bytes, written, deleted, unchanged, commit
        case uploadedBytes = "uploaded_bytes", deduplicatedBytes = "deduplicated_bytes", hashedFiles = "hashed_files"
    }
}

/// A staff push of a folder into a project: chunk and hash locally, ask the
/// server which chunks it lacks, upload only those in framed batches, then
/// commit the file list (new versions, deletions of files gone from the folder,
/// an optional hour entry) in one idempotent call.
public struct Pusher: Sendable {
    public let api: APIClient
    public let chunker: Chunker
    let logger: Logger
    /// Where pushes remember the files they hashed (see `PushCache`); nil: every file is
    /// read and hashed every time.
    let cacheDirectory: String?
    /// How long ago a file must have changed for the cache to trust its status.
    var cacheSettleNanoseconds = PushCache.settleNanoseconds

    /// Frames go in streamed requests of up to this many bytes: a broken connection costs
    /// at most one (what arrived before the break is kept by the server), and each
    /// request seals a few large packs rather than many small ones.
    static let requestBytes: Int64 = 256 << 20
    static let idsPerRequest = 50_000
    static let uploadAttempts = 3
    /// Upload requests in flight at once.
    static let streams = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))
    static let emptyHash = ChunkDigest(bytes: SHA256.hash([]).bytes)!

    public init(api: APIClient, chunker: Chunker, logger: Logger, cacheDirectory: String? = nil) {
        self.api = api
        self.chunker = chunker
        self.logger = logger
        self.cacheDirectory = cacheDirectory
    }

    /// The cache folder a user's pushes share: `$XDG_CACHE_HOME/followup/push`, else
    /// `~/.cache/followup/push`.
    public static var defaultCacheDirectory: String? { PushCache.defaultDirectory() }

    private struct LocalFile {
        var scanned: ScannedFile
        var sha256: ChunkID
        var chunks: [ChunkRef]
    }

    /// `rehash`: read and hash every file even if the cache knows it (the cache is then
    /// written afresh).
    public func push(
        directory: String, client: String, project: String, phase: String? = nil, hours: HourLogRequest? = nil,
        deleteMissing: Bool = true, rehash: Bool = false, progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil
    ) async throws -> PushSummary {
        let scan = try FolderScanner.scan(directory)
        // The sync client's own state never travels.
        let scanned = scan.files.filter { !$0.path.hasPrefix(SyncState.directoryName + "/") }
        let total = scanned.reduce(Int64(0)) { $0 + $1.size }
        var timer = PhaseTimer(logger: logger, message: "push phase done")

        // 1. Chunk and hash every file the last push of this folder did not see as it is
        //    now, on every core (content is read again only for missing chunks).
        let scannedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        let cachePath = try cacheDirectory.map { folder in
            PushCache.path(in: folder, server: api.endpoint.url, client: client, project: project, folder: try FileIO.realPath(directory))
        }
        let cache = rehash ? PushCache() : cachePath.map(PushCache.load) ?? PushCache()
        var manifests: [Manifest?] = scanned.map { cache.manifest(for: $0) }
        let toHash = manifests.indices.filter { manifests[$0] == nil }
        let cachedBytes = total - toHash.reduce(Int64(0)) { $0 + scanned[$1].size }
        let hashed = try await FileChunking.manifests(of: toHash.map { scanned[$0] }, chunker: chunker) { _, bytes in
            progress?((cachedBytes + bytes) / 2, total)
        }
        for (index, manifest) in zip(toHash, hashed) { manifests[index] = manifest }
        let local = zip(scanned, manifests).map { LocalFile(scanned: $0, sha256: $1!.fileHash, chunks: $1!.chunks) }

        timer.finished("chunk")

        // 2. Which files differ from the project's latest versions (the same test as the
        //    server's: content, size and mode), and which of their chunks does the server
        //    lack? An unchanged file's chunks are those of a live version: kept by gc,
        //    never asked about, and the file is left out of the commit.
        let remote = try await api.files(client: client, project: project)
        var heads: [[UInt8]: RemoteFile] = [:]
        for file in remote { heads[Array(file.path.utf8)] = file }
        let changed = local.filter { file in
            guard let head = heads[Array(file.scanned.path.utf8)] else { return true }
            return head.size != file.scanned.size || head.mode != Int(file.scanned.mode) || head.sha256.bytes != file.sha256.bytes
        }
        var sizes: [ChunkID: Int] = [:]
        for file in changed { for chunk in file.chunks { sizes[chunk.id] = chunk.length } }
        var missing = try await missingChunks(Array(sizes.keys))
        let missingBytes = missing.reduce(Int64(0)) { $0 + Int64(sizes[$1] ?? 0) }

        timer.finished("missing")

        // 3. Upload them, streamed from the files; after a broken connection, ask again
        //    and send only what still is missing.
        let uploaded = Counter()
        let paths = changed.map(\.scanned.absolutePath)
        for attempt in 1...Self.uploadAttempts where !missing.isEmpty {
            var items: [UploadFrames.Item] = []
            var queued = Set<ChunkID>()
            for (index, file) in changed.enumerated() {
                var offset: Int64 = 0
                for chunk in file.chunks {
                    if missing.contains(chunk.id) && queued.insert(chunk.id).inserted {
                        items.append(UploadFrames.Item(file: index, offset: offset, chunk: chunk))
                    }
                    offset += Int64(chunk.length)
                }
            }
            do {
                // Requests of at most `requestBytes`, sent on `streams` connections at
                // once: the server hashes and stores each on its own core.
                var requests: [ArraySlice<UploadFrames.Item>] = []
                let share = max(1, missingBytes / Int64(Self.streams))
                var start = items.startIndex
                while start < items.endIndex {
                    var end = start
                    var bytes: Int64 = 0
                    let limit = min(Self.requestBytes, share)
                    while end < items.endIndex && (end == start || bytes + Int64(items[end].chunk.length) <= limit) {
                        bytes += Int64(items[end].chunk.length)
                        end += 1
                    }
                    requests.append(items[start..<end])
                    start = end
                }
                let report: @Sendable (Int) -> Void = { length in
                    let done = uploaded.add(Int64(length))
                    progress?(Self.uploadProgress(uploaded: done, missing: missingBytes, total: total), total)
                }
                let next = Counter()
                let batches = requests
                let api = self.api
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<min(Self.streams, batches.count) {
                        group.addTask {
                            while true {
                                let index = Int(next.add(1) - 1)
                                guard index < batches.count else { return }
                                _ = try await api.uploadChunks(streaming: UploadFrames(paths: paths, items: batches[index], sent: report))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                missing = []
            } catch let error as RemoteError {
                guard case .transport = error, attempt < Self.uploadAttempts else { throw error }
                logger.info("upload interrupted, resuming", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                missing = try await missingChunks(Array(missing))
            }
        }

        timer.finished("upload")

        // 4. Commit: every changed file, every empty folder, and deletions (all judged
        // against the list read in step 2; a concurrent push in between may win). A folder
        // entry that now has content goes even with --no-delete: the catalog refuses a path
        // that is both a file's folder and an entry.
        let folders = try scan.emptyDirectories.map { path in
            let status = try FileIO.status(directory + "/" + path)
            return CommitFile(
                path: path, size: 0, mode: CommitFile.directoryFlag | Int(status.st_mode & 0o7777),
                mtimeNs: FileIO.modificationNanoseconds(status), sha256: Self.emptyHash, chunks: [], phase: phase)
        }
        var present = Set(local.map { Array($0.scanned.path.utf8) })
        for folder in folders { present.insert(Array(folder.path.utf8)) }
        let deletions = remote.filter { file in
            guard !present.contains(Array(file.path.utf8)) else { return false }
            return deleteMissing
                || (CommitFile.isDirectory(mode: file.mode) && local.contains { $0.scanned.path.hasPrefix(file.path + "/") })
        }.map(\.path)
        let body = CommitRequestBody(
            files: folders + changed.map { file in
                CommitFile(
                    path: file.scanned.path, size: file.scanned.size, mode: Int(file.scanned.mode),
                    mtimeNs: file.scanned.modifiedNanoseconds,
                    sha256: ChunkDigest(bytes: file.sha256.bytes)!,
                    chunks: file.chunks.map { ChunkSpan(id: ChunkDigest(bytes: $0.id.bytes)!, length: Int64($0.length)) },
                    phase: phase)
            },
            deletions: deletions, hours: hours)
        let result = try await api.commit(client: client, project: project, body)
        timer.finished("commit")
        if let cachePath {
            // The push is done: a cache that cannot be written only costs the next one time.
            do {
                try PushCache.save(
                    local.lazy.map { ($0.scanned, Manifest(size: $0.scanned.size, fileHash: $0.sha256, chunks: $0.chunks)) },
                    scannedAt: scannedAt, settle: cacheSettleNanoseconds, to: cachePath)
            } catch {
                logger.warning("could not write the push cache", metadata: ["path": "\(cachePath)", "error": "\(error)"])
            }
        }
        progress?(total, total)
        logger.info("pushed", metadata: ["client": "\(client)", "project": "\(project)", "uploaded_bytes": "\(missingBytes)"])
        return PushSummary(
            files: local.count, bytes: total, uploadedBytes: missingBytes, deduplicatedBytes: total - missingBytes,
            written: result.written.count, deleted: result.deleted.count,
            unchanged: result.unchanged.count + local.count - changed.count, commit: result.cursor,
            hashedFiles: toHash.count)
    }

    /// The ids among `ids` the server does not have, asked in bounded requests.
    private func missingChunks(_ ids: [ChunkID]) async throws -> Set<ChunkID> {
        var missing = Set<ChunkID>()
        for start in stride(from: 0, to: ids.count, by: Self.idsPerRequest) {
            let batch = ids[start..<min(start + Self.idsPerRequest, ids.count)].map { ChunkDigest(bytes: $0.bytes)! }
            for id in try await api.missingChunks(batch) { missing.insert(ChunkID(bytes: id.bytes)!) }
        }
        return missing
    }

    /// A push's progress in bytes of `total`: chunking is the first half, the upload of
    /// the `missing` bytes the second.
    static func uploadProgress(uploaded: Int64, missing: Int64, total: Int64) -> Int64 {
        let half = total / 2
        guard missing > 0 else { return half }
        // uploaded × half overflows Int64 from about 4 GiB on: multiply at full width.
        let done = min(max(uploaded, 0), missing)
        return half + missing.dividingFullWidth(done.multipliedFullWidth(by: half)).quotient
    }
}

/// Bytes handed to the connection so far, from the upload's body producer.
private final class Counter: Sendable {
    private let value = Atomic<Int64>(0)

    func add(_ n: Int64) -> Int64 { value.wrappingAdd(n, ordering: .relaxed).newValue }
}
