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
        let manifests = try await FileChunking.manifests(of: files, chunker: chunker, concurrency: concurrency) { done, bytes in
            progress?(IngestProgress(files: done, totalFiles: files.count, bytes: bytes, totalBytes: totalBytes))
        } eachChunk: { chunk, id in
            try await session.put(chunk, id: id)
        }
        try await session.finish()
        progress?(IngestProgress(files: files.count, totalFiles: files.count, bytes: totalBytes, totalBytes: totalBytes))

        let ingested = zip(files, manifests).map { IngestedFile(file: $0, manifest: $1) }
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
}
