/// An in-memory measure of the chunker and the hasher on one core, to compare
/// with `openssl speed -evp sha256`: nothing here touches the disk.
public enum ChunkingBenchmark {
    public struct Result: Sendable, Codable {
        public var bytes: Int
        public var chunks: Int
        /// Chunk boundaries alone.
        public var chunkMBps: Double
        /// SHA-256 alone, over 1 MiB blocks.
        public var sha256MBps: Double
        /// Chunking plus the SHA-256 of each chunk: the ingest hot path.
        public var chunkHashMBps: Double
        /// As `chunkHashMBps`, also hashing the whole file as ingest does.
        public var chunkHashFileMBps: Double

        enum CodingKeys: String, CodingKey {
            case bytes, chunks
            case chunkMBps = "chunk_mb_s", sha256MBps = "sha256_mb_s"
            case chunkHashMBps = "chunk_hash_mb_s", chunkHashFileMBps = "chunk_hash_file_mb_s"
        }
    }

    /// Runs each measure `rounds` times over `megabytes` MiB of pseudo-random
    /// bytes and keeps the best (least disturbed) round. MB/s are 10^6 bytes a second.
    public static func run(megabytes: Int = 256, rounds: Int = 3, chunker: Chunker) -> Result {
        let count = megabytes << 20
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        defer { data.deallocate() }
        // Incompressible, so content-defined boundaries behave as on media files.
        var generator = SplitMix64(seed: 0x5EED)
        for i in 0..<(count / 8) {
            data.storeBytes(of: generator.next(), toByteOffset: i * 8, as: UInt64.self)
        }
        let bytes = UnsafeRawBufferPointer(data)
        var chunks = 0
        let chunkTime = best(rounds) {
            chunks = chunker.chunks(of: bytes).count
        }
        var sink = ChunkID(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<32]))
        let shaTime = best(rounds) {
            for start in stride(from: 0, to: count, by: 1 << 20) {
                sink = SHA256.hash(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + (1 << 20), count)]))
            }
        }
        // The ingest hot path: `ChunkReader` calls exactly this on each 4 MiB it reads.
        var batch = ChunkBatch()
        func chunkAndHash(file: SHA256?) {
            var start = 0
            while start < count {
                let window = min(count, start + (4 << 20))
                start += chunker.cutAndHash(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<window]), isLast: window == count,
                    fileHash: file, into: &batch)
                sink = batch.ids.last ?? sink
            }
        }
        let chunkHashTime = best(rounds) { chunkAndHash(file: nil) }
        let withFileTime = best(rounds) {
            let file = SHA256()
            chunkAndHash(file: file)
            sink = file.finalize()
        }
        withExtendedLifetime(sink) {}
        func rate(_ seconds: Double) -> Double { (Double(count) / seconds / 1e6 * 10).rounded() / 10 }
        return Result(
            bytes: count, chunks: chunks, chunkMBps: rate(chunkTime), sha256MBps: rate(shaTime),
            chunkHashMBps: rate(chunkHashTime), chunkHashFileMBps: rate(withFileTime))
    }

    private static func best(_ rounds: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<max(1, rounds) {
            let elapsed = clock.measure(body)
            best = min(best, elapsed.inSeconds)
        }
        return best
    }
}
