import ContentStore
import Foundation
import SyncProtocol

/// What the last push of a folder learnt about each of its files: the file's status and
/// manifest. A file whose size, modification and status-change times and inode are all
/// as they were is not read and hashed again, as borg's files cache and restic's parent
/// snapshot spare theirs. A wrong guess cannot corrupt anything: the server re-hashes
/// every chunk it receives, and a push that finds a cached chunk missing reads it from
/// the file.
///
/// One cache file per server, project and folder, under `~/.cache/followup/push/`
/// (or `$XDG_CACHE_HOME`); an unreadable one is ignored, and every push rewrites it.
struct PushCache {
    struct Entry: Codable, Hashable {
        var size: Int64
        var mtimeNs: Int64
        var ctimeNs: Int64
        var inode: UInt64
        var sha256: ChunkDigest
        var chunks: [ChunkSpan]

        enum CodingKeys: String, CodingKey {
            case size, inode, sha256, chunks
            case mtimeNs = "mtime_ns", ctimeNs = "ctime_ns"
        }
    }

    private struct Stored: Decodable {
        var version: Int
        var files: [String: Entry]
    }

    static let version = 1
    /// A file changed this close to the scan may still be being written within the same
    /// clock tick: it is hashed next time too.
    static let settleNanoseconds: Int64 = 2_000_000_000

    private(set) var entries: [String: Entry] = [:]

    /// The default folder: `$XDG_CACHE_HOME/followup/push`, else `~/.cache/followup/push`.
    static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/followup/push" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/followup/push" }
        return nil
    }

    /// The cache file of one folder pushed into one project of one server.
    static func path(in directory: String, server: String, client: String, project: String, folder: String) -> String {
        let key = SHA256.hash("\(server)\n\(client)/\(project)\n\(folder)")
        return directory + "/" + key.hex + ".json"
    }

    /// The cache at `path`, or an empty one when it is missing, unreadable or of another version.
    static func load(_ path: String) -> PushCache {
        guard let bytes = try? FileIO.readAll(path),
              let stored = try? JSONDecoder().decode(Stored.self, from: Data(bytes)), stored.version == version
        else { return PushCache() }
        return PushCache(entries: stored.files)
    }

    /// The manifest of `file` if it is untouched since it was cached.
    func manifest(for file: ScannedFile) -> Manifest? {
        guard let entry = entries[file.path], entry.size == file.size, entry.mtimeNs == file.modifiedNanoseconds,
              entry.ctimeNs == file.changedNanoseconds, entry.inode == file.inode, file.inode != 0,
              let fileHash = ChunkID(bytes: entry.sha256.bytes)
        else { return nil }
        var chunks: [ChunkRef] = []
        chunks.reserveCapacity(entry.chunks.count)
        for span in entry.chunks {
            guard let id = ChunkID(bytes: span.id.bytes), span.length > 0 else { return nil }
            chunks.append(ChunkRef(id: id, length: Int(span.length)))
        }
        guard chunks.reduce(Int64(0), { $0 + Int64($1.length) }) == file.size else { return nil }
        return Manifest(size: file.size, fileHash: fileHash, chunks: chunks)
    }

    /// Remembers `file` as it was scanned, unless it changed too recently to be trusted.
    mutating func remember(_ file: ScannedFile, _ manifest: Manifest, scannedAt now: Int64, settle: Int64 = settleNanoseconds) {
        guard file.inode != 0, now - max(file.modifiedNanoseconds, file.changedNanoseconds) >= settle else {
            entries[file.path] = nil
            return
        }
        entries[file.path] = Entry(
            size: file.size, mtimeNs: file.modifiedNanoseconds, ctimeNs: file.changedNanoseconds, inode: file.inode,
            sha256: ChunkDigest(bytes: manifest.fileHash.bytes)!,
            chunks: manifest.chunks.map { ChunkSpan(id: ChunkDigest(bytes: $0.id.bytes)!, length: Int64($0.length)) })
    }

    /// Writes the cache, one file at a time, replacing the old one atomically.
    func save(_ path: String) throws {
        var json = JSONPieces()
        try json.object { members in
            try members.member("files") { table in
                try table.object { records in
                    for name in entries.keys.sorted() { try records.member(name, entries[name]) }
                }
            }
            try members.member("version", Self.version)
        }
        try FileManager.default.createDirectory(atPath: FileIO.parent(of: path), withIntermediateDirectories: true)
        try FileIO.writeAtomically(json.bytes, to: path)
    }
}
