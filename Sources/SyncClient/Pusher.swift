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
    static let emptyID = SHA256.hash([])
    static let emptyHash = ChunkDigest(bytes: emptyID.bytes)!

    public init(api: APIClient, chunker: Chunker, logger: Logger, cacheDirectory: String? = nil) {
        self.api = api
        self.chunker = chunker
        self.logger = logger
        self.cacheDirectory = cacheDirectory
    }

    /// The cache folder a user's pushes share: `$XDG_CACHE_HOME/followup/push`, else
    /// `~/.cache/followup/push`.
    public static var defaultCacheDirectory: String? { PushCache.defaultDirectory() }

    /// `rehash`: read and hash every file even if the cache knows it (the cache is then
    /// written afresh).
    ///
    /// Memory: a few hundred bytes per file (its scan record and manifest, in two parallel
    /// arrays; indices elsewhere), since the commit is written as it is sent.
    public func push(
        directory: String, client: String, project: String, phase: String? = nil, hours: HourLogRequest? = nil,
        deleteMissing: Bool = true, rehash: Bool = false, progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil
    ) async throws -> PushSummary {
        var scan = try FolderScanner.scan(directory)
        // The sync client's own state never travels.
        scan.files.removeAll { $0.path.hasPrefix(SyncState.directoryName + "/") }
        let scanned = scan.files
        scan.files = []
        let total = scanned.reduce(Int64(0)) { $0 + $1.size }
        var timer = PhaseTimer(logger: logger, message: "push phase done")
        // The project's file list is read while the folder is hashed: the server is idle then.
        async let remoteFiles = api.files(client: client, project: project)

        // 1. Chunk and hash every file the last push of this folder did not see as it is
        //    now, on every core (content is read again only for missing chunks).
        let scannedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        let cachePath = try cacheDirectory.map { folder in
            PushCache.path(in: folder, server: api.endpoint.url, client: client, project: project, folder: try FileIO.realPath(directory))
        }
        var found: [Manifest] = []
        var toHash: [Int] = []
        do {
            let cache = rehash ? PushCache() : cachePath.map(PushCache.load) ?? PushCache()
            found.reserveCapacity(scanned.count)
            for (index, file) in scanned.enumerated() {
                if let known = cache.manifest(for: file) {
                    found.append(known)
                } else {
                    found.append(Manifest(size: 0, fileHash: Self.emptyID, chunks: []))
                    toHash.append(index)
                }
            }
        }
        let cachedBytes = total - toHash.reduce(Int64(0)) { $0 + scanned[$1].size }
        let hashed = try await FileChunking.manifests(of: toHash.map { scanned[$0] }, chunker: chunker) { _, bytes in
            progress?((cachedBytes + bytes) / 2, total)
        }
        for (index, manifest) in zip(toHash, hashed) { found[index] = manifest }
        let manifests = found
        found = []

        timer.finished("chunk")

        // 2. Which files differ from the project's latest versions (the same test as the
        //    server's: content, size and mode), and which of their chunks does the server
        //    lack? An unchanged file's chunks are those of a live version: kept by gc,
        //    never asked about, and the file is left out of the commit.
        let remote = try await remoteFiles
        var heads: [PathKey: Int] = [:]
        heads.reserveCapacity(remote.count)
        for (index, file) in remote.enumerated() { heads[PathKey(file.path)] = index }
        var present = [Bool](repeating: false, count: remote.count)
        var changed: [Int] = []
        for (index, file) in scanned.enumerated() {
            guard let head = heads[PathKey(file.path)] else {
                changed.append(index)
                continue
            }
            present[head] = true
            let remoteFile = remote[head], manifest = manifests[index]
            if remoteFile.size != file.size || remoteFile.mode != Int(file.mode) || remoteFile.sha256.bytes != manifest.fileHash.bytes {
                changed.append(index)
            }
        }
        // Each chunk of the changed files once, in id order.
        var wanted: [ChunkRef] = []
        for index in changed { wanted.append(contentsOf: manifests[index].chunks) }
        wanted.sort { $0.id < $1.id }
        wanted = wanted.enumerated().compactMap { $0 > 0 && wanted[$0 - 1].id == $1.id ? nil : $1 }
        var missing = try await missingChunks(wanted.map(\.id))
        let missingBytes = wanted.reduce(Int64(0)) { missing.contains($1.id) ? $0 + Int64($1.length) : $0 }
        wanted = []

        timer.finished("missing")

        // 3. Upload them, streamed from the files; after a broken connection, ask again
        //    and send only what still is missing.
        let uploaded = Counter()
        let paths = changed.map { scanned[$0].path }
        for attempt in 1...Self.uploadAttempts where !missing.isEmpty {
            // Each missing chunk once, from the first file that has it.
            var items: [UploadFrames.Item] = []
            items.reserveCapacity(missing.count)
            var queued = [Bool](repeating: false, count: missing.count)
            for (position, index) in changed.enumerated() {
                var offset: Int64 = 0
                for chunk in manifests[index].chunks {
                    if let slot = missing.slot(of: chunk.id), !queued[slot] {
                        queued[slot] = true
                        items.append(UploadFrames.Item(file: position, offset: offset, chunk: chunk))
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
                                _ = try await api.uploadChunks(
                                    streaming: UploadFrames(root: directory, paths: paths, items: batches[index], sent: report))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                missing = SortedChunkIDs([])
            } catch let error as RemoteError {
                guard case .transport = error, attempt < Self.uploadAttempts else { throw error }
                logger.info("upload interrupted, resuming", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                missing = try await missingChunks(items.map(\.chunk.id))
            }
        }

        timer.finished("upload")

        // 4. Commit: every changed file, every empty folder, and deletions (all judged
        // against the list read in step 2; a concurrent push in between may win). A folder
        // entry that now has content goes even with --no-delete: the catalog refuses a path
        // that is both a file's folder and an entry. The body is written as it is sent.
        let folders = try scan.emptyDirectories.map { path in
            let status = try FileIO.status(directory + "/" + path)
            return CommitFile(
                path: path, size: 0, mode: CommitFile.directoryFlag | Int(status.st_mode & 0o7777),
                mtimeNs: FileIO.modificationNanoseconds(status), sha256: Self.emptyHash, chunks: [], phase: phase)
        }
        for folder in folders {
            if let head = heads[PathKey(folder.path)] { present[head] = true }
        }
        heads = [:]
        let deletions = remote.indices.filter { index in
            guard !present[index] else { return false }
            let file = remote[index]
            return deleteMissing
                || (CommitFile.isDirectory(mode: file.mode) && scanned.contains { $0.path.hasPrefix(file.path + "/") })
        }.map { remote[$0].path }
        let changedFiles = changed
        let body = CommitBodyWriter(deletions: deletions, hours: hours, fileCount: folders.count + changed.count) { number in
            guard number >= folders.count else { return folders[number] }
            let index = changedFiles[number - folders.count]
            let file = scanned[index], manifest = manifests[index]
            return CommitFile(
                path: file.path, size: file.size, mode: Int(file.mode), mtimeNs: file.modifiedNanoseconds,
                sha256: ChunkDigest(bytes: manifest.fileHash.bytes)!,
                chunks: manifest.chunks.map { ChunkSpan(id: ChunkDigest(bytes: $0.id.bytes)!, length: Int64($0.length)) },
                phase: phase)
        }
        let result = try await api.commit(client: client, project: project, body)
        timer.finished("commit")
        if let cachePath {
            // The push is done: a cache that cannot be written only costs the next one time.
            do {
                try PushCache.save(zip(scanned, manifests), scannedAt: scannedAt, settle: cacheSettleNanoseconds, to: cachePath)
            } catch {
                logger.warning("could not write the push cache", metadata: ["path": "\(cachePath)", "error": "\(error)"])
            }
        }
        progress?(total, total)
        logger.info("pushed", metadata: ["client": "\(client)", "project": "\(project)", "uploaded_bytes": "\(missingBytes)"])
        return PushSummary(
            files: scanned.count, bytes: total, uploadedBytes: missingBytes, deduplicatedBytes: total - missingBytes,
            written: result.written.count, deleted: result.deleted.count,
            unchanged: result.unchanged.count + scanned.count - changed.count, commit: result.cursor,
            hashedFiles: toHash.count)
    }

    /// The ids among `ids` the server does not have, asked in bounded requests.
    private func missingChunks(_ ids: [ChunkID]) async throws -> SortedChunkIDs {
        var missing: [ChunkID] = []
        for start in stride(from: 0, to: ids.count, by: Self.idsPerRequest) {
            let batch = ids[start..<min(start + Self.idsPerRequest, ids.count)].map { ChunkDigest(bytes: $0.bytes)! }
            missing += try await api.missingChunks(batch).map { ChunkID(bytes: $0.bytes)! }
        }
        return SortedChunkIDs(missing)
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
