import ContentStore
import SyncProtocol

/// A file version on the server, as the change feed announced it last.
struct RemoteVersion: Sendable, Hashable {
    var size: Int64
    var mode: Int
    var mtimeNs: Int64
    var sha256: ChunkID
    var chunks: [ChunkRef]
    /// When the server recorded it (Unix seconds): names a conflict copy.
    var time: Int64

    var isDirectory: Bool { CommitFile.isDirectory(mode: mode) }
}

/// The net effect of a stretch of a client's change feed on its folder: per local
/// path the last thing the feed said (a version or a deletion), the ledger entries
/// announced, and the position reached. Built from pages of the feed before anything
/// is written, so a path changed five times is fetched once, and a rename (a put of
/// the new path and a deletion of the old) can reuse the old file's chunks.
struct PullPlan: Sendable {
    enum Change: Sendable, Hashable {
        case put(RemoteVersion)
        case delete
    }

    /// One path's last word.
    struct Entry: Sendable {
        /// Relative to the folder: `<project>/<path in project>`.
        var path: String
        var change: Change
    }

    /// One per path, in the order the feed first named them (``sortedChanges()`` sorts).
    /// An array beside a path-to-position map: a 100,000-path dictionary of versions
    /// grown by doubling peaked at twice the size of these entries.
    private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]
    var ledger: [LedgerEntryInfo] = []
    var cursor: Int64

    init(cursor: Int64) {
        self.cursor = cursor
    }

    var hasChanges: Bool { !entries.isEmpty }

    /// The last word on `path`, if the feed said anything about it.
    func change(for path: String) -> Change? {
        positions[path].map { entries[$0].change }
    }

    /// The changes sorted by the bytes of their paths (a folder before what is in it),
    /// leaving the plan without them: the pull works from this one copy.
    mutating func sortedChanges() -> [Entry] {
        positions = [:]
        // Moved into an array of the exact size: the grown one has up to half again as much room.
        var sorted: [Entry] = []
        sorted.reserveCapacity(entries.count)
        sorted.append(contentsOf: entries)
        entries = []
        sorted.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return sorted
    }

    private mutating func record(_ path: String, _ change: Change) {
        if let position = positions[path] {
            entries[position].change = change
        } else {
            positions[path] = entries.count
            entries.append(Entry(path: path, change: change))
        }
    }

    mutating func apply(_ event: ChangeEvent) throws {
        try apply(PullEvent(event))
    }

    mutating func apply(_ event: PullEvent) throws {
        cursor = max(cursor, event.seq)
        switch event.kind {
        case .filePut, .fileDelete:
            guard let project = event.project, let path = event.path else {
                throw RemoteError.badResponse("change \(event.seq) is a file change without a path")
            }
            let local = try Self.localPath(project: project, path: path)
            guard event.kind == .filePut else {
                record(local, .delete)
                return
            }
            guard let data = event.file, data.isConsistent else {
                throw RemoteError.badResponse("change \(event.seq) carries a malformed file version")
            }
            record(local, .put(RemoteVersion(
                size: data.size, mode: data.mode, mtimeNs: data.mtimeNs, sha256: ChunkID(words: data.sha256.words),
                chunks: data.chunks.map { ChunkRef(id: ChunkID(words: $0.id.words), length: Int($0.length)) },
                time: event.time)))
        case .ledgerEntry:
            guard let entry = event.ledger else {
                throw RemoteError.badResponse("change \(event.seq) carries a malformed ledger entry")
            }
            ledger.append(entry)
        default:
            // Quotes, invoices, tickets…: nothing in the folder depends on them.
            break
        }
    }

    /// `<project>/<path>`, after checking both as hostile input: a project is one slug,
    /// a path is relative with no empty, "." or ".." component and no control character,
    /// so nothing from the network can name a file outside the folder or in `.followup`.
    static func localPath(project: String, path: String) throws -> String {
        let slug = project.utf8
        guard (1...63).contains(slug.count),
              slug.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }),
              slug.first != 0x2D
        else { throw SyncError.unsafePath(quoted(project)) }
        guard isSafeRelative(path) else { throw SyncError.unsafePath(quoted(project + "/" + path)) }
        return project + "/" + path
    }

    /// Whether `path` is 1–4,096 bytes of components of 1–255 bytes, none "." or "..", with no
    /// control character (U+0000–U+001F, U+007F–U+009F). One pass over the UTF-8: splitting
    /// the string and looking at its scalars was 2 µs a path, 4 ms of a 2,004-file feed.
    static func isSafeRelative(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= 4096 else { return false }
            var start = 0
            var previous: UInt8 = 0
            for index in 0...bytes.count {
                let byte = index < bytes.count ? bytes[index] : UInt8(ascii: "/")
                if byte == UInt8(ascii: "/") {
                    let length = index - start
                    guard length > 0, length <= 255 else { return false }
                    if bytes[start] == UInt8(ascii: "."), length == 1 || (length == 2 && bytes[start + 1] == UInt8(ascii: ".")) {
                        return false
                    }
                    start = index + 1
                } else if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte <= 0x9F) {
                    // U+0080–U+009F are 0xC2 0x80–0x9F; 0xC2 only ever leads a character.
                    return false
                }
                previous = byte
            }
            return true
        }
    }

    /// A path for a message: quoted, at most 100 characters, control characters escaped.
    static func quoted(_ path: String) -> String {
        var out = "\""
        for (index, scalar) in path.unicodeScalars.enumerated() {
            if index == 100 { out += "…"; break }
            if scalar.isControl {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
