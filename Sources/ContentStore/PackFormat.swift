/// The layout of a pack file:
///
///     "FUPACK01"                         8-byte header
///     chunk bytes, back to back
///     entries: id (32) | offset u64 LE | length u32 LE     44 bytes each
///     trailer: count u32 LE | SHA-256 of the entries (32) | "FUPKIDX1"
///
/// Every pack carries its own index, so the chunk index can be rebuilt from the
/// packs alone; the trailer's hash tells a damaged index from a good one.
public enum PackFormat {
    static let header = Array("FUPACK01".utf8)
    static let trailerMagic = Array("FUPKIDX1".utf8)
    static let entrySize = 44
    static let trailerSize = 44

    /// One chunk's place in a pack.
    public struct Entry: Sendable, Hashable {
        public var id: ChunkID
        public var offset: Int64
        public var length: Int

        public init(id: ChunkID, offset: Int64, length: Int) {
            self.id = id
            self.offset = offset
            self.length = length
        }
    }

    /// The entries and trailer that close a pack.
    static func footer(for entries: [Entry]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: entries.count * entrySize + trailerSize)
        out.withUnsafeMutableBytes { raw in
            for (i, entry) in entries.enumerated() {
                let base = i * entrySize
                entry.id.write(to: UnsafeMutableRawBufferPointer(rebasing: raw[base..<base + 32]))
                raw.storeBytes(of: UInt64(entry.offset).littleEndian, toByteOffset: base + 32, as: UInt64.self)
                raw.storeBytes(of: UInt32(entry.length).littleEndian, toByteOffset: base + 40, as: UInt32.self)
            }
            let trailer = entries.count * entrySize
            raw.storeBytes(of: UInt32(entries.count).littleEndian, toByteOffset: trailer, as: UInt32.self)
            let digest = SHA256.hash(UnsafeRawBufferPointer(rebasing: raw[0..<trailer]))
            digest.write(to: UnsafeMutableRawBufferPointer(rebasing: raw[(trailer + 4)..<(trailer + 36)]))
            for (i, byte) in trailerMagic.enumerated() { raw[trailer + 36 + i] = byte }
        }
        return out
    }

    /// Reads the entry count from a pack's last `trailerSize` bytes.
    static func entryCount(trailer: [UInt8], packSize: Int64, pack: String) throws -> Int {
        guard trailer.count == trailerSize, Array(trailer[36...]) == trailerMagic else {
            throw StoreError.packCorrupt(pack: pack, reason: "no pack trailer")
        }
        let count = Int(trailer.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) })
        guard Int64(count) * Int64(entrySize) + Int64(trailerSize + header.count) <= packSize else {
            throw StoreError.packCorrupt(pack: pack, reason: "entry count \(count) does not fit the pack")
        }
        return count
    }

    /// Decodes and checks the entries against the trailer's hash and the pack's data area.
    static func entries(_ bytes: [UInt8], trailer: [UInt8], packSize: Int64, pack: String) throws -> [Entry] {
        let expected = trailer.withUnsafeBytes { ChunkID(bytes: UnsafeRawBufferPointer(rebasing: $0[4..<36])) }
        guard SHA256.hash(bytes) == expected else {
            throw StoreError.packCorrupt(pack: pack, reason: "its index does not match its checksum")
        }
        let dataEnd = packSize - Int64(bytes.count + trailerSize)
        var out: [Entry] = []
        out.reserveCapacity(bytes.count / entrySize)
        try bytes.withUnsafeBytes { (raw) in
            for base in stride(from: 0, to: raw.count, by: entrySize) {
                let id = ChunkID(bytes: UnsafeRawBufferPointer(rebasing: raw[base..<base + 32]))
                let offset = Int64(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 32, as: UInt64.self)))
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 40, as: UInt32.self)))
                guard offset >= Int64(header.count), offset + Int64(length) <= dataEnd else {
                    throw StoreError.packCorrupt(pack: pack, reason: "entry for chunk \(id) points outside the pack")
                }
                out.append(Entry(id: id, offset: offset, length: length))
            }
        }
        return out
    }

    /// Reads a pack's own index through a blob store.
    static func readEntries(of info: BlobInfo, from blobs: any BlobStore) async throws -> [Entry] {
        guard info.size >= Int64(header.count + trailerSize) else {
            throw StoreError.packCorrupt(pack: info.name, reason: "too short to be a pack")
        }
        let trailer = try await blobs.read(info.name, offset: info.size - Int64(trailerSize), length: trailerSize)
        let count = try entryCount(trailer: trailer, packSize: info.size, pack: info.name)
        let length = count * entrySize
        let bytes = try await blobs.read(info.name, offset: info.size - Int64(trailerSize + length), length: length)
        return try entries(bytes, trailer: trailer, packSize: info.size, pack: info.name)
    }
}
