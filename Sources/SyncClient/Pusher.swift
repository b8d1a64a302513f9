import ContentStore
import Foundation
import Logging
import SyncProtocol
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

    enum CodingKeys: String, CodingKey {
        case files, bytes, written, deleted, unchanged, commit
        case uploadedBytes = "uploaded_bytes", deduplicatedBytes = "deduplicated_bytes"
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

    /// Frames are sent in batches of about this many bytes: bounded memory, and a
    /// broken connection costs at most one batch.
    static let batchBytes = 8 << 20
    static let idsPerRequest = 50_000
    static let emptyHash = ChunkDigest(bytes: SHA256.hash([]).bytes)!

    public init(api: APIClient, chunker: Chunker, logger: Logger) {
        self.api = api
        self.chunker = chunker
        self.logger = logger
    }

    private struct LocalFile {
        var scanned: ScannedFile
        var sha256: ChunkID
        var chunks: [ChunkRef]
    }

    public func push(
        directory: String, client: String, project: String, phase: String? = nil, hours: HourLogRequest? = nil,
        deleteMissing: Bool = true, progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil
    ) async throws -> PushSummary {
        let scan = try FolderScanner.scan(directory)
        // The sync client's own state never travels.
        let scanned = scan.files.filter { !$0.path.hasPrefix(SyncState.directoryName + "/") }
        let total = scanned.reduce(Int64(0)) { $0 + $1.size }

        // 1. Chunk and hash every file (content is read again only for missing chunks).
        var reader = ChunkReader(chunker: chunker)
        var local: [LocalFile] = []
        var done: Int64 = 0
        for file in scanned {
            let fd = open(file.absolutePath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RemoteError.badResponse("cannot read \(file.path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let fileHash = SHA256()
            var refs: [ChunkRef] = []
            _ = try await reader.forEachChunk(fd: fd, path: file.absolutePath, fileHash: fileHash) { chunk, id in
                refs.append(ChunkRef(id: id, length: chunk.count))
            }
            local.append(LocalFile(scanned: file, sha256: fileHash.finalize(), chunks: refs))
            done += file.size
            progress?(done / 2, total)
        }

        // 2. Which chunks does the server lack?
        var sizes: [ChunkID: Int] = [:]
        for file in local { for chunk in file.chunks { sizes[chunk.id] = chunk.length } }
        var missing = Set<ChunkID>()
        let unique = Array(sizes.keys)
        for start in stride(from: 0, to: unique.count, by: Self.idsPerRequest) {
            let batch = unique[start..<min(start + Self.idsPerRequest, unique.count)].map { ChunkDigest(bytes: $0.bytes)! }
            for id in try await api.missingChunks(batch) { missing.insert(ChunkID(bytes: id.bytes)!) }
        }
        let missingBytes = missing.reduce(Int64(0)) { $0 + Int64(sizes[$1] ?? 0) }

        // 3. Upload the missing chunks, re-read from the files, in bounded batches.
        var frames: [UInt8] = []
        var sent = Set<ChunkID>()
        var uploaded: Int64 = 0
        func flush() async throws {
            guard !frames.isEmpty else { return }
            _ = try await api.uploadChunks(frames)
            frames.removeAll(keepingCapacity: true)
        }
        for file in local where file.chunks.contains(where: { missing.contains($0.id) && !sent.contains($0.id) }) {
            let fd = open(file.scanned.absolutePath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RemoteError.badResponse("cannot read \(file.scanned.path)") }
            defer { close(fd) }
            _ = try await reader.forEachChunk(fd: fd, path: file.scanned.absolutePath) { chunk, id in
                guard missing.contains(id), sent.insert(id).inserted else { return }
                try FrameEncoder.append(id: ChunkDigest(bytes: id.bytes)!, bytes: chunk, to: &frames)
                uploaded += Int64(chunk.count)
                progress?(total / 2 + (missingBytes > 0 ? uploaded * (total / 2) / missingBytes : 0), total)
                if frames.count >= Self.batchBytes { try await flush() }
            }
        }
        try await flush()

        // 4. Commit: every local file and empty folder (unchanged ones create nothing),
        // and deletions. A folder entry that now has content goes even with --no-delete:
        // the catalog refuses a path that is both a file's folder and an entry.
        let folders = try scan.emptyDirectories.map { path in
            let status = try FileIO.status(directory + "/" + path)
            return CommitFile(
                path: path, size: 0, mode: CommitFile.directoryFlag | Int(status.st_mode & 0o7777),
                mtimeNs: FileIO.modificationNanoseconds(status), sha256: Self.emptyHash, chunks: [], phase: phase)
        }
        var present = Set(local.map { Array($0.scanned.path.utf8) })
        for folder in folders { present.insert(Array(folder.path.utf8)) }
        let remote = try await api.files(client: client, project: project)
        let deletions = remote.filter { file in
            guard !present.contains(Array(file.path.utf8)) else { return false }
            return deleteMissing
                || (CommitFile.isDirectory(mode: file.mode) && local.contains { $0.scanned.path.hasPrefix(file.path + "/") })
        }.map(\.path)
        let body = CommitRequestBody(
            files: folders + local.map { file in
                CommitFile(
                    path: file.scanned.path, size: file.scanned.size, mode: Int(file.scanned.mode),
                    mtimeNs: file.scanned.modifiedNanoseconds,
                    sha256: ChunkDigest(bytes: file.sha256.bytes)!,
                    chunks: file.chunks.map { ChunkSpan(id: ChunkDigest(bytes: $0.id.bytes)!, length: Int64($0.length)) },
                    phase: phase)
            },
            deletions: deletions, hours: hours)
        let result = try await api.commit(client: client, project: project, body)
        progress?(total, total)
        let allBytes = local.reduce(Int64(0)) { $0 + $1.scanned.size }
        logger.info("pushed", metadata: ["client": "\(client)", "project": "\(project)", "uploaded_bytes": "\(uploaded)"])
        return PushSummary(
            files: local.count, bytes: allBytes, uploadedBytes: uploaded, deduplicatedBytes: allBytes - uploaded,
            written: result.written.count, deleted: result.deleted.count, unchanged: result.unchanged.count, commit: result.cursor)
    }
}
