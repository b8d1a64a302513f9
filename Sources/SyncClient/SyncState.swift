import ContentStore
import Foundation

/// What a synced folder remembers between pulls, in `<folder>/.followup/state.json`:
/// the last change-feed cursor applied and, per synced file, what was written
/// (size, mtime, inode, chunk list) so a local edit can be told from a stale copy.
public struct SyncState: Sendable, Hashable, Codable {
    public static let directoryName = ".followup"
    public static let fileName = "state.json"
    public static let currentVersion = 1

    /// One file as the last pull left it.
    public struct FileRecord: Sendable, Hashable, Codable {
        public var size: Int64
        /// Nanoseconds since 1970, as the file system reported after the write.
        public var mtimeNanoseconds: Int64
        public var inode: UInt64
        public var sha256: ChunkID
        public var chunks: [ChunkRef]

        public init(size: Int64, mtimeNanoseconds: Int64, inode: UInt64, sha256: ChunkID, chunks: [ChunkRef]) {
            self.size = size
            self.mtimeNanoseconds = mtimeNanoseconds
            self.inode = inode
            self.sha256 = sha256
            self.chunks = chunks
        }

        enum CodingKeys: String, CodingKey {
            case size, inode, sha256, chunks
            case mtimeNanoseconds = "mtime_ns"
        }
    }

    public var version = currentVersion
    public var client: String?
    /// The last change-feed sequence number whose effects are on disk.
    public var cursor: Int64 = 0
    /// By path relative to the folder.
    public var files: [String: FileRecord] = [:]

    public init(client: String? = nil) {
        self.client = client
    }

    static func path(in folder: String) -> String {
        folder + "/" + directoryName + "/" + fileName
    }

    /// The folder's state, or a fresh one if the folder was never synced.
    public static func load(from folder: String) throws -> SyncState {
        let path = path(in: folder)
        guard FileManager.default.fileExists(atPath: path) else { return SyncState() }
        let state: SyncState
        do {
            state = try JSONDecoder().decode(SyncState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SyncError.damagedState(path: path)
        }
        guard state.version == currentVersion else { throw SyncError.damagedState(path: path) }
        return state
    }

    /// Writes the state atomically: a crash leaves the old state or the new, never half of one.
    public func save(to folder: String) throws {
        let directory = folder + "/" + Self.directoryName
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let url = URL(fileURLWithPath: Self.path(in: folder))
        // Data.write(.atomic) writes a temporary file and renames it over the old one.
        try data.write(to: url, options: .atomic)
    }
}

public enum SyncError: Error, Equatable, CustomStringConvertible {
    case damagedState(path: String)

    public var description: String {
        switch self {
        case let .damagedState(path):
            "the sync state \(path) is damaged or from another version; move it away to start a full pull"
        }
    }
}
