import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A file stored by an ingest.
public struct IngestedFile: Sendable, Hashable {
    public var file: ScannedFile
    public var manifest: Manifest

    public init(file: ScannedFile, manifest: Manifest) {
        self.file = file
        self.manifest = manifest
    }
}

public struct IngestSummary: Sendable, Hashable, Codable {
    public var files: Int
    public var bytes: Int64
    /// Bytes of chunks the store did not have before.
    public var newBytes: Int64
    /// Chunks the files split into, and how many of them were new.
    public var chunks: Int
    public var newChunks: Int
    public var packs: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case files, bytes, chunks, packs, seconds
        case newBytes = "new_bytes", newChunks = "new_chunks"
    }
}

/// Where an ingest is, for a progress bar.
public struct IngestProgress: Sendable {
    public var files: Int
    public var totalFiles: Int
    public var bytes: Int64
    public var totalBytes: Int64
}

extension ChunkStore {
    /// Chunks, hashes and stores every regular file under `directory`, on
    /// `concurrency` cores at once with memory bounded by one read buffer per worker.
    public func ingest(
        directory: String,
        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (IngestProgress) -> Void)? = nil
    ) async throws -> (files: [IngestedFile], scan: FolderScanner.Result, summary: IngestSummary) {
        let started = ContinuousClock.now
        let scan = try FolderScanner.scan(directory)
        let files = scan.files
        let totalBytes = files.reduce(Int64(0)) { $0 + $1.size }
        let session = try await writeSession()
        let counters = IngestCounters()
        // Largest first, so a big file does not start last and run alone.
        let order = files.indices.sorted { files[$0].size > files[$1].size }
        let workers = max(1, min(concurrency, order.count))

        var manifests = [Manifest?](repeating: nil, count: files.count)
        try await withThrowingTaskGroup(of: [(Int, Manifest)].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var reader = ChunkReader(chunker: self.chunker)
                    var done: [(Int, Manifest)] = []
                    while let next = counters.claim(below: order.count) {
                        let i = order[next]
                        let manifest = try await self.ingestFile(files[i], reader: &reader, session: session) { length in
                            let bytes = counters.addBytes(Int64(length))
                            progress?(IngestProgress(files: counters.filesDone, totalFiles: files.count, bytes: bytes, totalBytes: totalBytes))
                        }
                        counters.fileDone()
                        done.append((i, manifest))
                    }
                    return done
                }
            }
            for try await done in group {
                for (i, manifest) in done { manifests[i] = manifest }
            }
        }
        try await session.finish()
        progress?(IngestProgress(files: files.count, totalFiles: files.count, bytes: totalBytes, totalBytes: totalBytes))

        let ingested = zip(files, manifests).map { IngestedFile(file: $0, manifest: $1!) }
        let stats = session.statistics
        let elapsed = ContinuousClock.now - started
        let summary = IngestSummary(
            files: files.count,
            bytes: ingested.reduce(0) { $0 + $1.manifest.size },
            newBytes: stats.newBytes,
            chunks: ingested.reduce(0) { $0 + $1.manifest.chunks.count },
            newChunks: stats.newChunks,
            packs: stats.packs,
            seconds: elapsed.inSeconds)
        logger.info("ingest finished", metadata: [
            "files": "\(summary.files)", "bytes": "\(summary.bytes)", "new_bytes": "\(summary.newBytes)",
        ])
        return (ingested, scan, summary)
    }

    /// Streams one file through the chunker into the session.
    func ingestFile(
        _ file: ScannedFile, reader: inout ChunkReader, session: ChunkWriteSession,
        progress: (Int) -> Void
    ) async throws -> Manifest {
        let fd = try FileIO.open(file.absolutePath, O_RDONLY)
        defer { FileIO.close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        let fileHash = SHA256()
        var refs: [ChunkRef] = []
        let size = try await reader.forEachChunk(fd: fd, path: file.absolutePath, fileHash: fileHash) { chunk, id in
            try await session.put(chunk, id: id)
            refs.append(ChunkRef(id: id, length: chunk.count))
            progress(chunk.count)
        }
        return Manifest(size: size, fileHash: fileHash.finalize(), chunks: refs)
    }
}

/// Work distribution and progress counters shared by the ingest workers.
private final class IngestCounters: Sendable {
    private let next = Atomic<Int>(0)
    private let files = Atomic<Int>(0)
    private let bytes = Atomic<Int64>(0)

    func claim(below count: Int) -> Int? {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return i < count ? i : nil
    }

    func addBytes(_ n: Int64) -> Int64 { bytes.wrappingAdd(n, ordering: .relaxed).newValue }
    func fileDone() { files.wrappingAdd(1, ordering: .relaxed) }
    var filesDone: Int { files.load(ordering: .relaxed) }
}
