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
    /// Files hashed per group, and the group's bytes, at most: large enough that the
    /// question about its chunks is one request, small enough that the upload starts soon.
    var groupFiles = 4_096
    var groupBytes: Int64 = 32 << 20

    /// Frames go in streamed requests of up to this many bytes: a broken connection costs
    /// at most one (what arrived before the break is kept by the server), and each
    /// request seals a few large packs rather than many small ones.
    static let requestBytes: Int64 = 256 << 20
    static let idsPerRequest = 50_000
    static let uploadAttempts = 3
    /// Upload requests in flight at once.
    static let streams = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))
    static let emptyID = SHA256.hash([])
    static let emptyHash = ChunkDigest(words: emptyID.words)

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
        // The project's file list is read while the push cache is: the server is idle then.
        async let remoteFiles = api.files(client: client, project: project)

        // 1. What the last push of this folder saw as it is now needs no reading (its
        //    manifest is cached); every other file is chunked and hashed.
        let scannedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        let cachePath = try cacheDirectory.map { folder in
            PushCache.path(in: folder, server: api.endpoint.url, client: client, project: project, folder: try FileIO.realPath(directory))
        }
        var cached: [Manifest] = []
        var needsHash = [Bool](repeating: false, count: scanned.count)
        do {
            let cache = rehash ? PushCache() : cachePath.map(PushCache.load) ?? PushCache()
            cached.reserveCapacity(scanned.count)
            for (index, file) in scanned.enumerated() {
                if let known = cache.manifest(for: file) {
                    cached.append(known)
                } else {
                    cached.append(Manifest(size: 0, fileHash: Self.emptyID, chunks: []))
                    needsHash[index] = true
                }
            }
        }
        let hashedFiles = needsHash.reduce(0) { $0 + ($1 ? 1 : 0) }

        // 2. Which files differ from the project's latest versions (the same test as the
        //    server's: content, size and mode)? An unchanged file's chunks are those of a
        //    live version: kept by gc, never asked about, and the file is left out of the
        //    commit.
        let remote = try await remoteFiles
        var heads: [PathKey: Int] = [:]
        heads.reserveCapacity(remote.count)
        for (index, file) in remote.enumerated() { heads[PathKey(file.path)] = index }

        // 3. Hash the files a group at a time; after each group, ask which of its new chunks
        //    the server lacks and queue them for the upload requests, which send them
        //    (streamed from the files) while the next group is hashed.
        let queue = UploadQueue()
        let progressCounter = PushProgressCounter(total: total, report: progress)
        let paths = scanned.map(\.path)
        let hashing = try await withThrowingTaskGroup(of: HashingResult?.self) { group in
            group.addTask { [cached, needsHash, heads] in
                defer { queue.finish() }
                return try await hashAndQueue(
                    scanned, manifests: cached, needsHash: needsHash, remote: remote, heads: heads,
                    queue: queue, progress: progressCounter)
            }
            group.addTask {
                try await uploadAll(from: queue, root: directory, paths: paths, progress: progressCounter)
                return nil
            }
            var hashing: HashingResult?
            while let result = try await group.next() {
                if let result { hashing = result }
            }
            return hashing!
        }
        cached = []
        let manifests = hashing.manifests
        var present = hashing.present
        let changed = hashing.changed
        let missingBytes = hashing.missingBytes
        timer.finished("hash and upload")

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
                sha256: ChunkDigest(words: manifest.fileHash.words),
                chunks: manifest.chunks.map { ChunkSpan(id: ChunkDigest(words: $0.id.words), length: Int64($0.length)) },
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
            hashedFiles: hashedFiles)
    }

    /// The ids among `ids` the server does not have, asked in bounded requests.
    private func missingChunks(_ ids: [ChunkID]) async throws -> SortedChunkIDs {
        var missing: [ChunkID] = []
        for start in stride(from: 0, to: ids.count, by: Self.idsPerRequest) {
            let batch = ids[start..<min(start + Self.idsPerRequest, ids.count)].map { ChunkDigest(words: $0.words) }
            missing += try await api.missingChunks(batch).map { ChunkID(words: $0.words) }
        }
        return SortedChunkIDs(missing)
    }

    /// What the hashing of a push found.
    struct HashingResult: Sendable {
        var manifests: [Manifest]
        /// The changed files (new, or differing from their latest version), in scan order.
        var changed: [Int]
        /// Per remote file: whether the folder still has it.
        var present: [Bool]
        /// Bytes of chunks queued for upload.
        var missingBytes: Int64
    }


    /// Step 3's producer: hashes the files that need it, a group at a time, judges each
    /// file against the project's latest versions, and queues the chunks the server lacks.
    private func hashAndQueue(
        _ scanned: [ScannedFile], manifests: [Manifest], needsHash: [Bool], remote: [RemoteFile], heads: [PathKey: Int],
        queue: UploadQueue, progress: PushProgressCounter
    ) async throws -> HashingResult {
        var manifests = manifests
        var changed: [Int] = []
        var present = [Bool](repeating: false, count: remote.count)
        // Each chunk is asked about (and sent) once, from the first changed file that has it.
        // The ids of earlier groups as one sorted array: a Set of 100,000 ids takes 8 MB.
        var asked = SortedChunkIDs([])
        var missingBytes: Int64 = 0
        var start = 0
        while start < scanned.count {
            var end = start, toHash: [Int] = [], hashBytes: Int64 = 0
            while end < scanned.count && end - start < 4 * groupFiles && toHash.count < groupFiles && hashBytes < groupBytes {
                if needsHash[end] {
                    toHash.append(end)
                    hashBytes += scanned[end].size
                }
                end += 1
            }
            let hashed = try await FileChunking.manifests(of: toHash.map { scanned[$0] }, chunker: chunker) { _, bytes in
                progress.hashed(bytes)
            }
            for (index, manifest) in zip(toHash, hashed) { manifests[index] = manifest }
            progress.hashedElsewhere(scanned[start..<end].reduce(Int64(0)) { $0 + $1.size } - hashBytes)

            var candidates: [UploadFrames.Item] = []
            var inGroup = Set<ChunkID>()
            var settled: Int64 = 0
            for index in start..<end {
                let file = scanned[index], manifest = manifests[index]
                if let head = heads[PathKey(file.path)] {
                    present[head] = true
                    let remoteFile = remote[head]
                    if remoteFile.size == file.size && remoteFile.mode == Int(file.mode) && remoteFile.sha256 == ChunkDigest(words: manifest.fileHash.words) {
                        settled += file.size
                        continue
                    }
                }
                changed.append(index)
                var offset: Int64 = 0
                for chunk in manifest.chunks {
                    if !asked.contains(chunk.id) && inGroup.insert(chunk.id).inserted {
                        candidates.append(UploadFrames.Item(file: index, offset: offset, chunk: chunk))
                    } else {
                        settled += Int64(chunk.length)
                    }
                    offset += Int64(chunk.length)
                }
            }
            asked.formUnion(Array(inGroup))
            inGroup = []
            let missing = try await missingChunks(candidates.map(\.chunk.id))
            let items = candidates.filter { missing.contains($0.chunk.id) }
            let groupMissing = items.reduce(Int64(0)) { $0 + Int64($1.chunk.length) }
            missingBytes += groupMissing
            progress.settled(settled + candidates.reduce(Int64(0)) { $0 + Int64($1.chunk.length) } - groupMissing)
            queue.add(items)
            start = end
        }
        return HashingResult(manifests: manifests, changed: changed, present: present, missingBytes: missingBytes)
    }

    /// Step 3's consumer: `streams` requests at once, each taking chunks from the queue
    /// until it has sent `requestBytes` (then another starts) or the queue is done. After a
    /// broken connection, what that request took is asked about again and only what still
    /// is missing is sent.
    private func uploadAll(from queue: UploadQueue, root: String, paths: [String], progress: PushProgressCounter) async throws {
        let api = self.api
        let report: @Sendable (Int) -> Void = { progress.settled(Int64($0)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<Self.streams {
                group.addTask {
                    while let first = await queue.next() {
                        let taken = SentItems()
                        let source = UploadFrames.Source.queue(queue, first: first, limit: Self.requestBytes, taken: taken)
                        do {
                            _ = try await api.uploadChunks(streaming: UploadFrames(root: root, paths: paths, source: source, sent: report))
                        } catch let error as RemoteError {
                            guard case .transport = error else { throw error }
                            try await resend(taken.all, root: root, paths: paths, after: error)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Sends again whichever of `items` the server still lacks after a broken upload.
    private func resend(_ items: [UploadFrames.Item], root: String, paths: [String], after error: RemoteError) async throws {
        var pending = items
        for attempt in 2...Self.uploadAttempts {
            logger.info("upload interrupted, resuming", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            let missing = try await missingChunks(pending.map(\.chunk.id))
            pending = pending.filter { missing.contains($0.chunk.id) }
            guard !pending.isEmpty else { return }
            do {
                _ = try await api.uploadChunks(streaming: UploadFrames(root: root, paths: paths, items: pending[...], sent: { _ in }))
                return
            } catch let error as RemoteError {
                guard case .transport = error, attempt < Self.uploadAttempts else { throw error }
            }
        }
    }
}

/// A push's progress in bytes of `total`: each byte counts half when it is hashed (or
/// known from the cache) and half when it is settled: sent, found on the server, or part
/// of an unchanged file.
final class PushProgressCounter: Sendable {
    private let done = Atomic<Int64>(0)
    private let total: Int64
    private let report: (@Sendable (_ done: Int64, _ total: Int64) -> Void)?
    private let hashedSoFar = Atomic<Int64>(0)

    init(total: Int64, report: (@Sendable (_ done: Int64, _ total: Int64) -> Void)?) {
        self.total = total
        self.report = report
    }

    /// Hashing reports the bytes of the current group hashed so far (`FileChunking`'s count).
    func hashed(_ groupBytes: Int64) {
        let previous = hashedSoFar.exchange(groupBytes, ordering: .relaxed)
        add(max(0, groupBytes - previous))
    }

    /// Bytes that needed no hashing (cached), at the end of a group; starts the next count.
    func hashedElsewhere(_ bytes: Int64) {
        hashedSoFar.store(0, ordering: .relaxed)
        add(bytes)
    }

    func settled(_ bytes: Int64) { add(bytes) }

    private func add(_ bytes: Int64) {
        let value = done.wrappingAdd(bytes, ordering: .relaxed).newValue
        report?(min(total, value / 2), total)
    }

    /// Where the count stands, in bytes of `total`.
    var value: Int64 { min(total, done.load(ordering: .relaxed) / 2) }
}


