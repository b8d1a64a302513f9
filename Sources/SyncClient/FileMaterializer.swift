import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// Writes the file contents a pull needs, one hidden file per content hash, before
/// anything goes into place: `.followup-<sha>.part` in the folder of the first path
/// that needs it (so installing is a rename within a folder, and new files are spread
/// over the file system as their folders are), or in `.followup/partial/` when that
/// folder cannot be made yet. Each ``Job`` names its folder.
///
/// Each content is assembled from local chunks where they exist and from the remote
/// stream otherwise, hashed as it is written, and given its job's attributes if the
/// whole-file SHA-256 matches; one that does not match is removed. Its name stays until
/// the pull installs it (a rename the less per file: a killed pull's contents are told
/// complete by their size and hash, which are checked anyway). A killed pull leaves
/// complete contents and the verified prefix of a partial one: the next run reuses
/// both. All-zero chunks are left as holes, so a sparse file stays sparse.
final class FileMaterializer {
    struct Job {
        var sha256: ChunkID
        var size: Int64
        var chunks: [ChunkRef]
        /// Where it is assembled (see ``path(for:in:)``).
        var directory: String
        /// Set on the file once its content is checked (nil: left as written).
        var attributes: FileAttributes?
        /// The caller's number for it.
        var entry: Int32

        var path: String { FileMaterializer.path(for: sha256, in: directory) }
    }

    /// What a job still needs, decided before any request is made.
    struct Step {
        var job: Job
        /// Chunks already in the `.part` file from an earlier, interrupted pull.
        var resumedChunks: Int
        /// Per remaining chunk: true to take it from the remote stream.
        var remote: [Bool]
    }

    static let prefix = ".followup-"

    let index: LocalChunkIndex
    private let reader = ChunkSourceReader()
    /// The source of each content being written, so index entries follow its rename
    /// from `.part`; only until it is settled (the index keeps what it offers).
    private var sources: [ChunkID: ChunkSourceFile] = [:]
    /// Bytes copied from local files (including a resumed prefix).
    private(set) var reusedBytes: Int64 = 0

    init(index: LocalChunkIndex) {
        self.index = index
    }

    static func path(for sha: ChunkID, in directory: String) -> String { directory + "/" + prefix + sha.hex + ".part" }

    /// Whether the content is complete: right size and hash (a crash may have kept the
    /// name of a file whose data never reached the disk, so the hash is checked).
    func isComplete(_ job: Job) -> Bool {
        let path = job.path
        guard let status = try? FileIO.linkStatus(path), status.st_mode & S_IFMT == S_IFREG, Int64(status.st_size) == job.size
        else { return false }
        return (try? SHA256.hash(fileAt: path)) == job.sha256
    }

    /// The steps for `jobs`, in order, and the remote chunks they need, each once, in
    /// the order they will be written. With `useLocal` false every chunk is fetched; with
    /// `resume` false, what an interrupted pull left is not looked for (there was none).
    func plan(_ jobs: [Job], useLocal: Bool, resume: Bool) -> (steps: [Step], remote: [ChunkRef]) {
        var steps: [Step] = []
        var remote: [ChunkRef] = []
        var willHave = Set<ChunkID>()
        let resume = useLocal && resume
        for job in jobs {
            if resume && isComplete(job) {
                index.add(job.chunks, in: ChunkSourceFile(assembling: job.sha256, in: job.directory, written: true))
                reusedBytes += job.size
                continue
            }
            let resumed = resume ? resumablePrefix(job) : 0
            var flags: [Bool] = []
            flags.reserveCapacity(job.chunks.count - resumed)
            for chunk in job.chunks[resumed...] {
                // Local: in a file already, or written earlier in this pull (the index
                // learns it then). Otherwise fetched, once.
                let local = (useLocal && index.contains(chunk.id)) || willHave.contains(chunk.id)
                if !local { remote.append(chunk) }
                flags.append(!local)
                willHave.insert(chunk.id)
            }
            steps.append(Step(job: job, resumedChunks: resumed, remote: flags))
        }
        return (steps, remote)
    }

    /// Writes the steps' contents through one ``ContentWriter`` (which hashes them on its
    /// threads while the next chunks arrive), then settles each: kept if it hashes to its
    /// job's SHA-256 (and then it has its job's attributes), removed otherwise (a local
    /// source changed under the pull). Settled only once all are written: a later content
    /// may still copy chunks from an earlier one. Returns, in order, whether each matched.
    /// `progress` gets the step's number and the bytes just written.
    func run(_ steps: [Step], remote: RemoteChunkStream, progress: (Int, Int64) -> Void) async throws -> [Bool] {
        let writer = try ContentWriter()
        var written: [ContentWriter.Content] = []
        written.reserveCapacity(steps.count)
        for (number, step) in steps.enumerated() {
            written.append(try await write(step, remote: remote, writer: writer) { progress(number, $0) })
        }
        try writer.drain()
        for (step, content) in zip(steps, written) { try settle(step.job, ok: content.matches) }
        return written.map(\.matches)
    }

    /// Writes one step's content into its `.part` file through `writer`, which hashes it on
    /// the way (on its own thread, while the next content arrives): the content says whether
    /// it matched once the writer has drained. A local source that vanished spoils it (it is
    /// fetched whole later); the remote stream is kept in step either way.
    private func write(
        _ step: Step, remote: RemoteChunkStream, writer: ContentWriter, progress: (Int64) -> Void
    ) async throws -> ContentWriter.Content {
        let job = step.job
        let source = source(for: job)
        // The verified prefix of an interrupted pull stays; the planner offered its chunks.
        var offset = job.chunks[..<step.resumedChunks].reduce(Int64(0)) { $0 + Int64($1.length) }
        reusedBytes += offset
        let content = try writer.begin(path: job.path, expected: job.sha256, size: job.size, prefix: offset, attributes: job.attributes)
        for (chunk, isRemote) in zip(job.chunks[step.resumedChunks...], step.remote) {
            // A cancelled pull stops here; what is written so far stays for the next run.
            try Task.checkCancellation()
            if isRemote {
                try await remote.next(chunk).withUnsafeReadableBytes { try Self.append($0, to: writer) }
            } else if let location = index.location(of: chunk.id), let local = try readLocal(location, current: source, writer: writer) {
                try local.withUnsafeBytes { try Self.append($0, to: writer) }
                reusedBytes += Int64(chunk.length)
            } else {
                // The source vanished: keep the offsets, fail this content, fetch it later.
                writer.spoil()
                try writer.appendZeros(chunk.length)
                offset += Int64(chunk.length)
                continue
            }
            index.add(chunk, in: source, at: offset)
            offset += Int64(chunk.length)
            progress(Int64(chunk.length))
        }
        try writer.finish(size: job.size)
        return content
    }

    /// A local chunk's bytes. One of the content being written comes from the writer; one of
    /// a content written earlier in this pull, once the writer has put it on disk.
    private func readLocal(_ location: LocalChunkIndex.Location, current: ChunkSourceFile, writer: ContentWriter) throws -> [UInt8]? {
        if location.file === current { return try writer.readCurrent(offset: location.offset, length: location.length) }
        if !location.file.isWritten { try writer.drain() }
        return reader.read(location)
    }

    /// After its check, a content stays, or goes away (and with it the chunks it offered).
    private func settle(_ job: Job, ok: Bool) throws {
        let source = sources.removeValue(forKey: job.sha256)
        if ok {
            source?.settled()
        } else {
            source?.drop()
            try FileIO.unlink(job.path)
        }
    }

    private func source(for job: Job) -> ChunkSourceFile {
        if let source = sources[job.sha256] { return source }
        let source = ChunkSourceFile(assembling: job.sha256, in: job.directory)
        sources[job.sha256] = source
        return source
    }

    /// How many leading chunks of the content's file are intact; those are offered as sources.
    private func resumablePrefix(_ job: Job) -> Int {
        let part = job.path
        guard let status = try? FileIO.linkStatus(part), status.st_mode & S_IFMT == S_IFREG, status.st_size > 0,
              let fd = try? FileIO.open(part, O_RDONLY)
        else { return 0 }
        defer { FileIO.close(fd) }
        let source = source(for: job)
        var offset: Int64 = 0
        var count = 0
        for chunk in job.chunks {
            guard offset + Int64(chunk.length) <= Int64(status.st_size) else { break }
            var bytes = [UInt8](repeating: 0, count: chunk.length)
            guard (try? bytes.withUnsafeMutableBytes({ try FileIO.pread(fd, into: $0, at: offset, path: part) })) != nil,
                  SHA256.hash(bytes) == chunk.id
            else { break }
            index.add(chunk, in: source, at: offset)
            offset += Int64(chunk.length)
            count += 1
        }
        return count
    }

    /// A chunk's bytes, or a hole where they are all zeros.
    private static func append(_ bytes: UnsafeRawBufferPointer, to writer: ContentWriter) throws {
        if isZero(bytes) {
            try writer.appendZeros(bytes.count)
        } else {
            try writer.append(bytes)
        }
    }

    static func isZero(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard let base = raw.baseAddress else { return true }
        // 64 bytes per step, stopping at the first block with a set bit: a chunk of
        // real content is told from a hole after its first few bytes.
        let blocks = raw.count / 64
        for block in 0..<blocks {
            var accumulator: UInt64 = 0
            for word in 0..<8 { accumulator |= base.loadUnaligned(fromByteOffset: block * 64 + word * 8, as: UInt64.self) }
            if accumulator != 0 { return false }
        }
        for i in (blocks * 64)..<raw.count where raw[i] != 0 { return false }
        return true
    }
}
