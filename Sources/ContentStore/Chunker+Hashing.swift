import CChunkKernel

/// Chunks cut and hashed by `Chunker.cutAndHash`; kept between calls so that
/// its arrays are allocated once per reader.
public struct ChunkBatch: Sendable {
    /// Where each chunk ends, as an offset in the data passed.
    public private(set) var ends: [Int] = []
    public private(set) var ids: [ChunkID] = []
    private var digests: [UInt8] = []

    public init() {}

    /// The number of chunks.
    public var count: Int { ends.count }

    /// Where the chunk at `index` lies in the data passed.
    public func range(at index: Int) -> Range<Int> {
        (index == 0 ? 0 : ends[index - 1])..<ends[index]
    }

    mutating func removeAll() {
        ends.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
    }

    mutating func append(end: Int) { ends.append(end) }

    /// Hashes every chunk in `ends` and feeds their bytes to `file`.
    mutating func hash(_ data: UnsafeRawBufferPointer, file: SHA256?, engine: SHA256.Engine) {
        guard let last = ends.last else { return }
        switch engine {
        case .instructions:
            digests.removeAll(keepingCapacity: true)
            digests.append(contentsOf: repeatElement(0, count: ends.count * ChunkID.byteCount))
            let context = file.map { file in
                guard let context = file.instructionContext else { preconditionFailure("the file's hasher uses another engine") }
                return context
            }
            ends.withUnsafeBufferPointer { ends in
                digests.withUnsafeMutableBytes { out in
                    fu_sha256_chunks(
                        data.baseAddress!.assumingMemoryBound(to: UInt8.self), ends.baseAddress, ends.count,
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), context)
                }
            }
            digests.withUnsafeBytes { raw in
                for k in ends.indices {
                    ids.append(ChunkID(bytes: UnsafeRawBufferPointer(rebasing: raw[(k * 32)..<(k * 32 + 32)])))
                }
            }
        case .openSSL:
            for k in ends.indices {
                ids.append(SHA256.hash(UnsafeRawBufferPointer(rebasing: data[range(at: k)]), engine: .openSSL))
            }
            file?.update(UnsafeRawBufferPointer(rebasing: data[..<last]))
        }
    }
}

extension Chunker {
    /// Cuts `data` into every chunk whose end it can tell (one with `maxSize` bytes
    /// from its start in `data`, or any when `isLast`), hashes them into `batch`
    /// and feeds their bytes to `fileHash`; returns the bytes they cover.
    ///
    /// Boundaries first, hashes after: with the boundaries known, the SHA
    /// instructions hash two chunks at once (or a chunk and the file), nearly
    /// half again as fast as one message at a time on one core.
    public func cutAndHash(
        _ data: UnsafeRawBufferPointer, isLast: Bool, fileHash: SHA256?, into batch: inout ChunkBatch
    ) -> Int {
        batch.removeAll()
        var position = 0
        while position < data.count, isLast || data.count - position >= parameters.maxSize {
            position += cut(UnsafeRawBufferPointer(rebasing: data[position...]))
            batch.append(end: position)
        }
        batch.hash(data, file: fileHash, engine: fileHash?.engine ?? .best)
        return position
    }
}
