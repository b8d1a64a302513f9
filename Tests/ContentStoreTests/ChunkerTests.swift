import Testing
@testable import ContentStore

@Suite("FastCDC chunker")
struct ChunkerTests {
    let chunker = try! Chunker(.standard)

    func cuts(_ data: [UInt8]) -> [Range<Int>] {
        data.withUnsafeBytes { chunker.chunks(of: $0) }
    }

    @Test("the same bytes always give the same boundaries")
    func deterministic() {
        let data = pseudoRandomBytes(3 << 20, seed: 1)
        #expect(cuts(data) == cuts(data))
        #expect(cuts(data) == data.withUnsafeBytes { (try! Chunker(.standard)).chunks(of: $0) })
    }

    @Test("boundaries are pinned: a change here would break deduplication of existing stores")
    func pinnedBoundaries() {
        let ends = cuts(pseudoRandomBytes(1 << 20, seed: 42)).prefix(4).map(\.upperBound)
        #expect(ends == PinnedBoundaries.seed42)
    }

    @Test("inserting bytes at the start changes only the first chunk or two")
    func shiftResistance() {
        let original = pseudoRandomBytes(4 << 20, seed: 2)
        let shifted = pseudoRandomBytes(100, seed: 3) + original
        let before = Set(cuts(original).map { SHA256.hash(Array(original[$0])) })
        let afterChunks = cuts(shifted).map { SHA256.hash(Array(shifted[$0])) }
        let changed = afterChunks.filter { !before.contains($0) }
        #expect(afterChunks.count > 20)
        #expect(changed.count <= 2)
    }

    @Test("every chunk but the last is within min and max size; the last within max")
    func sizeBounds() {
        let p = ChunkerParameters.standard
        for data in [pseudoRandomBytes(5 << 20, seed: 4), [UInt8](repeating: 0, count: 2 << 20), [UInt8](repeating: 7, count: 1_000_003)] {
            let ranges = cuts(data)
            #expect(ranges.map(\.count).reduce(0, +) == data.count)
            for range in ranges.dropLast() {
                #expect(range.count >= p.minSize && range.count <= p.maxSize)
            }
            #expect(ranges.last!.count <= p.maxSize)
        }
    }

    @Test("constant data cuts at the maximum size")
    func constantData() {
        let ranges = cuts([UInt8](repeating: 0, count: 1 << 20))
        #expect(ranges.allSatisfy { $0.count == ChunkerParameters.standard.maxSize })
    }

    @Test("average chunk size is near the configured average on random data")
    func averageSize() {
        let data = pseudoRandomBytes(16 << 20, seed: 5)
        let average = data.count / cuts(data).count
        #expect(average > 48 << 10 && average < 96 << 10)
    }

    @Test("empty input has no chunks; a tiny input is one chunk")
    func emptyAndTiny() {
        #expect(cuts([]).isEmpty)
        #expect(cuts([1, 2, 3]) == [0..<3])
        let small = pseudoRandomBytes(16 << 10, seed: 6)
        #expect(cuts(small) == [0..<(16 << 10)])
    }

    @Test("invalid parameters are refused")
    func invalidParameters() {
        #expect(throws: StoreError.self) { try Chunker(ChunkerParameters(minSize: 1000, averageSize: 3000, maxSize: 9000)) }
        #expect(throws: StoreError.self) { try Chunker(ChunkerParameters(minSize: 70000, averageSize: 65536, maxSize: 262144)) }
    }

    @Test("streaming a file through a small buffer gives the same chunks as in memory")
    func streamingMatchesMemory() async throws {
        let directory = try TemporaryDirectory()
        let data = pseudoRandomBytes(3_000_017, seed: 7)
        let path = directory.path + "/file"
        try Data(data).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var reader = ChunkReader(chunker: chunker, bufferSize: 1)  // raised to 2 × max: many refills
        var streamed: [(Int, ChunkID)] = []
        let fileHash = SHA256()
        let total = try await reader.forEachChunk(fd: fd, path: path, fileHash: fileHash) { streamed.append(($0.count, $1)) }
        #expect(total == Int64(data.count))
        #expect(streamed.map(\.0) == cuts(data).map(\.count))
        #expect(streamed.map(\.1) == cuts(data).map { SHA256.hash(Array(data[$0])) })
        #expect(fileHash.finalize() == SHA256.hash(data))
    }

    @Test("the file hash is right for empty, one-chunk and many-chunk files, and a one-chunk file's is its chunk's id")
    func fileHashFromFirstChunk() async throws {
        let directory = try TemporaryDirectory()
        // Below the minimum chunk size (16 KiB) a file is one chunk; 3 MB is dozens.
        for (n, (size, chunks)) in [(0, 0), (1, 1), (10_000, 1), (3_000_017, 46)].enumerated() {
            let data = pseudoRandomBytes(size, seed: UInt64(n + 20))
            let path = directory.path + "/file\(n)"
            try Data(data).write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var reader = ChunkReader(chunker: chunker)
            var ids: [ChunkID] = []
            let fileHash = SHA256()
            _ = try await reader.forEachChunk(fd: fd, path: path, fileHash: fileHash) { ids.append($1) }
            let digest = fileHash.finalize()
            #expect(digest == SHA256.hash(data))
            #expect(chunks < 2 ? ids.count == chunks : ids.count > 10)
            if ids.count == 1 { #expect(digest == ids[0]) }
        }
    }

    @Test("cutting and hashing in batches finds the same boundaries and digests, with either SHA-256 engine",
          arguments: SHA256.Engine.available, [false, true])
    func cutAndHash(engine: SHA256.Engine, fileHashStartsPartway: Bool) throws {
        // The standard sizes, and tiny ones: many chunks with a partial last block,
        // chunks shorter than a block, a hash lane refilled again and again.
        let tiny = try Chunker(ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024))
        let data = pseudoRandomBytes(2_000_003, seed: 8) + [UInt8](repeating: 1, count: 600_000)
            + pseudoRandomBytes(100_001, seed: 9)
        for chunker in [chunker, tiny] {
            let expected = data.withUnsafeBytes { chunker.chunks(of: $0) }
            let fileHash = SHA256(engine: engine)
            let prefix: [UInt8] = fileHashStartsPartway ? [1, 2, 3] : []
            fileHash.update(prefix)
            var batch = ChunkBatch()
            var pieces: [(Range<Int>, ChunkID)] = []
            var generator = SplitMix64(seed: 10)
            data.withUnsafeBytes { raw in
                var start = 0
                while start < raw.count {
                    // Windows of uneven sizes, each at least one maximal chunk unless it is the last.
                    let size = chunker.parameters.maxSize + Int(generator.next() % UInt64(4 * chunker.parameters.maxSize))
                    let window = min(raw.count, start + size)
                    let used = chunker.cutAndHash(
                        UnsafeRawBufferPointer(rebasing: raw[start..<window]), isLast: window == raw.count,
                        fileHash: fileHash, into: &batch)
                    #expect(used > 0)
                    for k in 0..<batch.count {
                        let range = batch.range(at: k)
                        pieces.append(((range.lowerBound + start)..<(range.upperBound + start), batch.ids[k]))
                    }
                    start += used
                }
            }
            #expect(pieces.map(\.0) == expected)
            #expect(pieces.map(\.1) == expected.map { range in
                data[range].withUnsafeBytes { SHA256.hash($0, engine: .openSSL) }
            })
            #expect(fileHash.finalize() == SHA256.hash(prefix + data))
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif
