import ContentStore
import Foundation

/// What the last push of a folder learnt about each of its files: the file's status and
/// manifest. A file whose size, modification and status-change times and inode are all
/// as they were is not read and hashed again, as borg's files cache and restic's parent
/// snapshot spare theirs. A wrong guess cannot corrupt anything: the server re-hashes
/// every chunk it receives, and a push that finds a cached chunk missing reads it from
/// the file.
///
/// One cache file per server, project and folder, under `~/.cache/followup/push/`
/// (or `$XDG_CACHE_HOME`); an unreadable one is ignored, and every push rewrites it. The
/// file is binary, a record per file, and stays as loaded: a manifest is decoded only for
/// a file that matches, so 100,000 files cost their records' bytes and an index.
struct PushCache {
    /// The file's first bytes: the format and its version.
    static let magic = Array("followup push cache 1\n".utf8)
    /// A file changed this close to the scan may still be being written within the same
    /// clock tick: it is hashed next time too.
    static let settleNanoseconds: Int64 = 2_000_000_000

    private var bytes: [UInt8] = []
    /// Per path, where its record's fixed part starts in `bytes`.
    private var records: [String: Int] = [:]

    var isEmpty: Bool { records.isEmpty }

    /// The default folder: `$XDG_CACHE_HOME/followup/push`, else `~/.cache/followup/push`.
    static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/followup/push" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/followup/push" }
        return nil
    }

    /// The cache file of one folder pushed into one project of one server.
    static func path(in directory: String, server: String, client: String, project: String, folder: String) -> String {
        let key = SHA256.hash("\(server)\n\(client)/\(project)\n\(folder)")
        return directory + "/" + key.hex + ".cache"
    }

    /// The cache at `path`, or an empty one when it is missing, damaged or of another version.
    static func load(_ path: String) -> PushCache {
        guard let bytes = try? FileIO.readAll(path), let cache = PushCache(bytes: bytes) else { return PushCache() }
        return cache
    }

    init() {}

    /// Indexes `bytes`, checking every record's bounds; nil if any is wrong.
    init?(bytes: [UInt8]) {
        guard bytes.starts(with: Self.magic) else { return nil }
        var reader = Reader(bytes: bytes, offset: Self.magic.count)
        var records: [String: Int] = [:]
        while !reader.atEnd {
            guard let pathLength = reader.u16(), let path = reader.string(pathLength) else { return nil }
            let start = reader.offset
            guard reader.skip(Self.fixedBytes - 4), let chunks = reader.u32(), reader.skip(Int(chunks) * Self.chunkBytes)
            else { return nil }
            records[path] = start
        }
        self.bytes = bytes
        self.records = records
    }

    /// The manifest of `file` if it is untouched since it was cached.
    func manifest(for file: ScannedFile) -> Manifest? {
        guard file.inode != 0, let start = records[file.path] else { return nil }
        var reader = Reader(bytes: bytes, offset: start)
        guard reader.i64() == file.size, reader.i64() == file.modifiedNanoseconds, reader.i64() == file.changedNanoseconds,
              reader.u64() == file.inode, let fileHash = reader.id(), let count = reader.u32()
        else { return nil }
        var chunks: [ChunkRef] = []
        chunks.reserveCapacity(Int(count))
        var total: Int64 = 0
        for _ in 0..<count {
            guard let id = reader.id(), let length = reader.u32(), length > 0 else { return nil }
            chunks.append(ChunkRef(id: id, length: Int(length)))
            total += Int64(length)
        }
        guard total == file.size else { return nil }
        return Manifest(size: file.size, fileHash: fileHash, chunks: chunks)
    }

    /// Writes the cache of `files` as they were scanned at `now`, leaving out those changed
    /// less than `settle` before, and replaces the old one atomically.
    static func save(
        _ files: some Sequence<(ScannedFile, Manifest)>, scannedAt now: Int64, settle: Int64 = settleNanoseconds, to path: String
    ) throws {
        try FileIO.makeDirectories(FileIO.parent(of: path))
        // Written in pieces of about 1 MiB: the cache of 100,000 files is some 10 MB.
        try FileIO.writeAtomically(to: path) { emit in
            var out = magic
            for (file, manifest) in files {
                let path = Array(file.path.utf8)
                guard file.inode != 0, path.count <= Int(UInt16.max), manifest.chunks.count <= Int(UInt32.max),
                      now - max(file.modifiedNanoseconds, file.changedNanoseconds) >= settle
                else { continue }
                append(UInt64(path.count), bytes: 2, to: &out)
                out += path
                for value in [file.size, file.modifiedNanoseconds, file.changedNanoseconds] {
                    append(UInt64(bitPattern: value), bytes: 8, to: &out)
                }
                append(file.inode, bytes: 8, to: &out)
                out += manifest.fileHash.bytes
                append(UInt64(manifest.chunks.count), bytes: 4, to: &out)
                for chunk in manifest.chunks {
                    out += chunk.id.bytes
                    append(UInt64(chunk.length), bytes: 4, to: &out)
                }
                if out.count >= 1 << 20 {
                    try out.withUnsafeBytes(emit)
                    out.removeAll(keepingCapacity: true)
                }
            }
            try out.withUnsafeBytes(emit)
        }
    }

    /// Size, mtime, ctime, inode, file hash and chunk count.
    private static let fixedBytes = 8 * 4 + 32 + 4
    private static let chunkBytes = 32 + 4

    private static func append(_ value: UInt64, bytes count: Int, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: count * 8, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Little-endian fields out of the cache's bytes; nil past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset: Int

        var atEnd: Bool { offset == bytes.count }

        mutating func skip(_ count: Int) -> Bool {
            guard count >= 0, count <= bytes.count - offset else { return false }
            offset += count
            return true
        }

        mutating func unsigned(_ count: Int) -> UInt64? {
            guard count <= bytes.count - offset else { return nil }
            var value: UInt64 = 0
            for i in (0..<count).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += count
            return value
        }

        mutating func u16() -> Int? { unsigned(2).map(Int.init) }
        mutating func u32() -> UInt32? { unsigned(4).map { UInt32($0) } }
        mutating func u64() -> UInt64? { unsigned(8) }
        mutating func i64() -> Int64? { unsigned(8).map { Int64(bitPattern: $0) } }

        mutating func string(_ count: Int) -> String? {
            guard count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return String(validating: bytes[offset..<offset + count], as: UTF8.self)
        }

        mutating func id() -> ChunkID? {
            guard ChunkID.byteCount <= bytes.count - offset else { return nil }
            defer { offset += ChunkID.byteCount }
            return ChunkID(bytes: bytes[offset..<offset + ChunkID.byteCount])
        }
    }
}
