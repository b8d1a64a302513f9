/// A chunk as a file refers to it.
public struct ChunkRef: Sendable, Hashable, Codable {
    public var id: ChunkID
    public var length: Int

    public init(id: ChunkID, length: Int) {
        self.id = id
        self.length = length
    }
}

/// A file's content: its chunks in order and the SHA-256 of the whole file.
public struct Manifest: Sendable, Hashable, Codable {
    public var size: Int64
    public var fileHash: ChunkID
    public var chunks: [ChunkRef]

    public init(size: Int64, fileHash: ChunkID, chunks: [ChunkRef]) {
        self.size = size
        self.fileHash = fileHash
        self.chunks = chunks
    }

    enum CodingKeys: String, CodingKey {
        case size, chunks
        case fileHash = "sha256"
    }

    /// The chunk list as stored in the catalog: 36 bytes a chunk (id, u32 LE length).
    public var encodedChunks: [UInt8] {
        var out = [UInt8](repeating: 0, count: chunks.count * 36)
        out.withUnsafeMutableBytes { raw in
            for (i, chunk) in chunks.enumerated() {
                chunk.id.write(to: UnsafeMutableRawBufferPointer(rebasing: raw[(i * 36)..<(i * 36 + 32)]))
                raw.storeBytes(of: UInt32(chunk.length).littleEndian, toByteOffset: i * 36 + 32, as: UInt32.self)
            }
        }
        return out
    }

    /// Decodes `encodedChunks`; nil if the bytes are not a whole number of entries.
    public static func decodeChunks(_ bytes: [UInt8]) -> [ChunkRef]? {
        guard bytes.count % 36 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: 36).map { base in
                ChunkRef(
                    id: ChunkID(bytes: UnsafeRawBufferPointer(rebasing: raw[base..<(base + 32)])),
                    length: Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 32, as: UInt32.self))))
            }
        }
    }
}
