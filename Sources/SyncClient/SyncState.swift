import ContentStore
import Foundation
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// What a synced folder remembers between pulls, in `<folder>/.followup/`:
///
/// - `cursor.json`: the client, the last change-feed position whose effects are on disk
///   and the last ledger entry written. Small, so a no-op pull reads only this.
/// - `files.json`: per synced path, what the pull left there (size, mtime, inode, content
///   hash and chunk list), so a local edit can be told from a stale copy and every
///   unchanged file can lend its chunks to the next pull.
///
/// Both are replaced atomically; `files.json` is written before `cursor.json`, so the
/// cursor never runs ahead of the files it describes.
public struct SyncState: Sendable, Hashable {
    public static let directoryName = ".followup"
    public static let currentVersion = 2

    /// One path as the last pull left it.
    public struct FileRecord: Sendable, Hashable, Codable {
        public var size: Int64
        /// Nanoseconds since 1970, as the file system reported after the write.
        public var mtimeNanoseconds: Int64
        public var inode: UInt64
        public var sha256: ChunkID
        public var chunks: [ChunkRef]
        /// An empty folder the server keeps as an entry of its own.
        public var directory: Bool

        public init(size: Int64, mtimeNanoseconds: Int64, inode: UInt64, sha256: ChunkID, chunks: [ChunkRef], directory: Bool = false) {
            self.size = size
            self.mtimeNanoseconds = mtimeNanoseconds
            self.inode = inode
            self.sha256 = sha256
            self.chunks = chunks
            self.directory = directory
        }

        enum CodingKeys: String, CodingKey {
            case size, inode, sha256, chunks, directory
            case mtimeNanoseconds = "mtime_ns"
        }
    }

    /// The small half, `cursor.json`.
    public struct Position: Sendable, Hashable, Codable {
        public var version = SyncState.currentVersion
        public var client: String?
        /// The last change-feed sequence number whose effects are on disk.
        public var cursor: Int64 = 0
        /// The last ledger entry sequence written to the folder's ledger files.
        public var ledgerSequence: Int64 = 0

        enum CodingKeys: String, CodingKey {
            case version, client, cursor
            case ledgerSequence = "ledger_seq"
        }
    }

    private struct FileTable: Decodable {
        var version = SyncState.currentVersion
        var files: [String: FileRecord]
    }

    public var position: Position
    /// By path relative to the folder (`<project>/<path>`).
    public var files: [String: FileRecord] = [:]

    public var client: String? {
        get { position.client }
        set { position.client = newValue }
    }

    public var cursor: Int64 {
        get { position.cursor }
        set { position.cursor = newValue }
    }

    public init(client: String? = nil) {
        position = Position(client: client)
    }

    static func directory(of folder: String) -> String { folder + "/" + directoryName }
    static func cursorPath(in folder: String) -> String { directory(of: folder) + "/cursor.json" }
    static func filesPath(in folder: String) -> String { directory(of: folder) + "/files.json" }

    /// The folder's position only (fresh if the folder was never synced).
    public static func loadPosition(from folder: String) throws -> Position {
        let path = cursorPath(in: folder)
        guard FileManager.default.fileExists(atPath: path) else { return Position() }
        let position: Position = try decode(path)
        guard position.version == currentVersion, position.cursor >= 0 else { throw SyncError.damagedState(path: path) }
        return position
    }

    /// The folder's whole state, or a fresh one if the folder was never synced.
    public static func load(from folder: String) throws -> SyncState {
        var state = SyncState()
        state.position = try loadPosition(from: folder)
        let path = filesPath(in: folder)
        if FileManager.default.fileExists(atPath: path) {
            // A record batch at a time; a file of another shape is decoded whole.
            let streamed: (files: [String: FileRecord], version: Int)?
            do {
                streamed = try FileTableReader.load(path)
            } catch {
                throw SyncError.damagedState(path: path)
            }
            let table = try streamed ?? { () throws -> (files: [String: FileRecord], version: Int) in
                let whole: FileTable = try decode(path)
                return (whole.files, whole.version)
            }()
            guard table.version == currentVersion else { throw SyncError.damagedState(path: path) }
            state.files = table.files
        } else if state.cursor > 0 {
            // A cursor without its files would skip changes the folder never got.
            throw SyncError.damagedState(path: path)
        }
        return state
    }

    /// Writes the file table, then the position, each atomically: a crash leaves the
    /// old state or the new, and never a cursor ahead of the files.
    public func save(to folder: String) throws {
        try saveFiles(to: folder)
        try savePosition(to: folder)
    }

    /// Writes only the file table (progress within a pull; the cursor stays).
    ///
    /// A record at a time, through a small buffer straight into the temp file: the
    /// encoder's tree of a 100,000-file table is hundreds of MB, and even its bytes
    /// are tens. The bytes are those of `JSONEncoder` with `.sortedKeys` for the table,
    /// written without it (two encoder calls per file were 20 ms of a 2,000-file pull).
    public func saveFiles(to folder: String) throws {
        let path = Self.filesPath(in: folder)
        try FileIO.makeDirectories(FileIO.parent(of: path))
        try FileIO.writeAtomically(to: path) { emit in
            func flush(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes(emit) }
            var json = JSONPieces()
            json.raw(#"{"files":{"#)
            var first = true
            for key in files.keys.sorted() {
                if !first { json.raw(",") }
                first = false
                json.string(key)
                json.raw(":")
                files[key]!.write(to: &json)
                if json.bytes.count >= Self.flushBytes {
                    try flush(json.bytes)
                    json = JSONPieces()
                }
            }
            json.raw(#"},"version":"#)
            try json.value(Self.currentVersion)
            json.raw("}")
            try flush(json.bytes)
        }
    }

    /// How much of the file table is buffered before it is written out.
    static let flushBytes = 64 << 10

    public func savePosition(to folder: String) throws {
        try Self.write(position, to: Self.cursorPath(in: folder))
    }

    private static func decode<T: Decodable>(_ path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SyncError.damagedState(path: path)
        }
    }

    private static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try writeBytes(Array(try encoder.encode(value)), to: path)
    }

    private static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        try FileIO.makeDirectories(FileIO.parent(of: path))
        try FileIO.writeAtomically(bytes, to: path)
    }
}

public enum SyncError: Error, Equatable, CustomStringConvertible {
    case damagedState(path: String)
    case clientMismatch(folder: String, synced: String, requested: String)
    case noClient
    case busy(String)
    case unsafePath(String)
    case notAFolder(String)
    case integrity(String)

    public var description: String {
        switch self {
        case let .damagedState(path):
            "the sync state \(path) is damaged or from another version; move the .followup folder away to start a full pull"
        case let .clientMismatch(folder, synced, requested):
            "\(folder) is synced with client \(synced), not \(requested); pull \(requested) into another folder"
        case .noClient:
            "which client? pass --client on the first pull of a folder"
        case let .busy(folder):
            "another pull is running in \(folder); try again when it finishes"
        case let .unsafePath(path):
            "the server sent an unsafe path \(path); nothing was written for it"
        case let .notAFolder(path):
            "\(path) is in the way: it should be a folder (not a file or a link); move it and pull again"
        case let .integrity(message):
            message
        }
    }
}

extension SyncState.FileRecord {
    /// The record as `JSONEncoder` with `.sortedKeys` writes it.
    func write(to json: inout JSONPieces) {
        json.raw(#"{"chunks":"#)
        json.array(chunks) { json, chunk in
            json.raw(#"{"id":"#)
            json.digest(ChunkDigest(words: chunk.id.words))
            json.raw(#","length":"#)
            json.integer(chunk.length)
            json.raw("}")
        }
        json.raw(#","directory":"#)
        json.bool(directory)
        json.raw(#","inode":"#)
        json.integer(inode)
        json.raw(#","mtime_ns":"#)
        json.integer(mtimeNanoseconds)
        json.raw(#","sha256":"#)
        json.digest(ChunkDigest(words: sha256.words))
        json.raw(#","size":"#)
        json.integer(size)
        json.raw("}")
    }
}
