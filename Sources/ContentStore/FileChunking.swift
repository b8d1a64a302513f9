import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Chunks and hashes many files on several cores: the first pass of an ingest and
/// of a push.
public enum FileChunking {
    /// The manifest of each of `files`, in their order. `concurrency` workers each
    /// own one read buffer (memory stays bounded) and take the largest files first, so
    /// a big file does not start last and run alone. `eachChunk` sees every chunk on the
    /// worker that cut it; its bytes are valid only during the call.
    public static func manifests(
        of files: [ScannedFile], chunker: Chunker, concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (_ filesDone: Int, _ bytes: Int64) -> Void)? = nil,
        separateHashBytes: Int64 = FileChunking.separateHashBytes,
        eachChunk: @escaping @Sendable (UnsafeRawBufferPointer, ChunkID) async throws -> Void = { _, _ in }
    ) async throws -> [Manifest] {
        let counters = ChunkingCounters()
        let order = files.indices.sorted { files[$0].size > files[$1].size }
        let workers = max(1, min(concurrency, order.count))
        var manifests = [Manifest?](repeating: nil, count: files.count)
        try await withThrowingTaskGroup(of: [(Int, Manifest)].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var reader = ChunkReader(chunker: chunker)
                    var done: [(Int, Manifest)] = []
                    while let next = counters.claim(below: order.count) {
                        let i = order[next]
                        let manifest = try await manifest(of: files[i], reader: &reader, separateHashBytes: separateHashBytes) { chunk, id in
                            try await eachChunk(chunk, id)
                            let bytes = counters.addBytes(Int64(chunk.count))
                            progress?(counters.filesDone, bytes)
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
        return manifests.map { $0! }
    }

    /// Streams one file through the chunker: its chunk list and whole-file SHA-256.
    /// Files at least this large have their whole-file SHA-256 computed by a second task
    /// beside the chunking, on another core: a single file of several GiB is otherwise
    /// hashed twice over on one core while the others wait.
    public static let separateHashBytes: Int64 = 256 << 20

    static func manifest(
        of file: ScannedFile, reader: inout ChunkReader, separateHashBytes: Int64 = FileChunking.separateHashBytes,
        eachChunk: (UnsafeRawBufferPointer, ChunkID) async throws -> Void
    ) async throws -> Manifest {
        let path = file.absolutePath
        let fd = try FileIO.open(path, O_RDONLY)
        defer { FileIO.close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        var refs: [ChunkRef] = []
        guard file.size >= separateHashBytes else {
            let fileHash = SHA256()
            let size = try await reader.forEachChunk(fd: fd, path: path, fileHash: fileHash) { chunk, id in
                try await eachChunk(chunk, id)
                refs.append(ChunkRef(id: id, length: chunk.count))
            }
            return Manifest(size: size, fileHash: fileHash.finalize(), chunks: refs)
        }
        // Two reads of the file: it must not change between them, or the hash would not be
        // that of the chunks.
        let before = try FileIO.status(fd, path: path)
        async let wholeFile = SHA256.hash(fileAt: path)
        let size = try await reader.forEachChunk(fd: fd, path: path, fileHash: nil) { chunk, id in
            try await eachChunk(chunk, id)
            refs.append(ChunkRef(id: id, length: chunk.count))
        }
        let fileHash = try await wholeFile
        let after = try FileIO.status(fd, path: path)
        guard FileIO.sameContentStatus(before, after), Int64(after.st_size) == size else {
            throw StoreError.io(operation: "read", path: path, message: "the file changed while it was being read; try again once it is complete")
        }
        return Manifest(size: size, fileHash: fileHash, chunks: refs)
    }
}

/// Work distribution and progress counters shared by the chunking workers.
private final class ChunkingCounters: Sendable {
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
