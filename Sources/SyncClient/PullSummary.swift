/// A file the pull did not overwrite or delete because the user changed it.
public struct PullConflict: Codable, Hashable, Sendable {
    /// The user's file, relative to the folder.
    public var path: String
    /// Where the server's version was written instead; nil when the server deleted it.
    public var serverCopy: String?
    public var reason: String

    public init(path: String, serverCopy: String?, reason: String) {
        self.path = path
        self.serverCopy = serverCopy
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case path, reason
        case serverCopy = "server_copy"
    }
}

/// What a pull did: `pull --json` prints it.
public struct PullSummary: Codable, Hashable, Sendable {
    public var client: String
    /// Files put in place (new or changed, conflict copies included).
    public var filesWritten = 0
    public var filesDeleted = 0
    public var foldersCreated = 0
    /// Chunk bytes fetched from the server (before any deflate).
    public var fetchedBytes: Int64 = 0
    /// Bytes on the wire for them (less when frames were deflated).
    public var transferredBytes: Int64 = 0
    /// Chunk bytes copied from files already in the folder (or left by an interrupted pull).
    public var reusedBytes: Int64 = 0
    public var conflicts: [PullConflict] = []
    public var ledgerEntries = 0
    /// The change-feed position the folder is now at.
    public var cursor: Int64

    public init(client: String, cursor: Int64) {
        self.client = client
        self.cursor = cursor
    }

    enum CodingKeys: String, CodingKey {
        case client, conflicts, cursor
        case filesWritten = "files_written", filesDeleted = "files_deleted", foldersCreated = "folders_created"
        case fetchedBytes = "fetched_bytes", transferredBytes = "transferred_bytes", reusedBytes = "reused_bytes"
        case ledgerEntries = "ledger_entries"
    }
}

/// Where a pull is, for a progress bar: contents assembled, then files put in place.
public struct PullProgress: Sendable, Hashable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int64
    public var bytesTotal: Int64
}
