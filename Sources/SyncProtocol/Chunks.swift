/// `POST /v1/chunks/missing` (staff) and `POST /v1/chunks/fetch`: a list of chunk ids.
public struct ChunkListRequest: Codable, Hashable, Sendable {
    public var ids: [ChunkDigest]
    /// For a fetch: ``ChunkCompression/deflate`` lets the server deflate the frames it
    /// finds compressible. Absent: every frame comes as stored.
    public var compression: String?

    public init(ids: [ChunkDigest], compression: String? = nil) {
        self.ids = ids
        self.compression = compression
    }
}

extension ChunkListRequest: PieceEncodable {
    /// The same bytes as `JSONEncoder` with `.sortedKeys`, one id at a time.
    public func jsonBytes() throws -> [UInt8] {
        var json = JSONPieces()
        try json.object { members in
            try members.member("compression", compression)
            try members.member("ids") { $0.digests(ids) }
        }
        return json.bytes
    }
}

/// The answer to `POST /v1/chunks/missing`: the ids the server does not have.
public struct MissingChunksResponse: Codable, Hashable, Sendable {
    public var missing: [ChunkDigest]

    public init(missing: [ChunkDigest]) { self.missing = missing }
}

/// The answer to `PUT /v1/chunks` (a framed stream): what arrived and what was new.
public struct UploadResponse: Codable, Hashable, Sendable {
    public var received: Int
    public var stored: Int
    public var bytes: Int64

    public init(received: Int, stored: Int, bytes: Int64) {
        self.received = received
        self.stored = stored
        self.bytes = bytes
    }
}

/// One file of `POST /v1/clients/{c}/projects/{p}/commits`.
public struct CommitFile: Codable, Hashable, Sendable {
    public var path: String
    public var size: Int64
    /// Permission bits, or ``directoryFlag`` plus them for an empty folder (no content).
    public var mode: Int
    public var mtimeNs: Int64
    public var sha256: ChunkDigest
    /// The chunks in order, as `[id, length]` pairs.
    public var chunks: [ChunkSpan]
    public var phase: String?

    public init(path: String, size: Int64, mode: Int, mtimeNs: Int64, sha256: ChunkDigest, chunks: [ChunkSpan], phase: String? = nil) {
        self.path = path
        self.size = size
        self.mode = mode
        self.mtimeNs = mtimeNs
        self.sha256 = sha256
        self.chunks = chunks
        self.phase = phase
    }

    private enum CodingKeys: String, CodingKey {
        case path, size, mode, sha256, chunks, phase
        case mtimeNs = "mtime_ns"
    }

    /// As `JSONEncoder` with `.sortedKeys` writes it, a chunk at a time: the chunk list
    /// of a file of several GiB has tens of thousands of entries.
    func write(to json: inout JSONPieces) throws {
        try json.object { members in
            try members.member("chunks") { try $0.array(chunks) { try $0.value($1) } }
            try members.member("mode", mode)
            try members.member("mtime_ns", mtimeNs)
            try members.member("path", path)
            try members.member("phase", phase)
            try members.member("sha256", sha256)
            try members.member("size", size)
        }
    }

    /// `S_IFDIR`: the mode bit of an empty-folder entry.
    public static let directoryFlag = 0o040000

    /// Whether `mode` (of a commit, a file list or a feed event) is an empty folder's.
    public static func isDirectory(mode: Int) -> Bool {
        mode & ~0o7777 == directoryFlag
    }
}

/// A chunk of a file: `[hex id, length]` on the wire.
public struct ChunkSpan: Codable, Hashable, Sendable {
    public var id: ChunkDigest
    public var length: Int64

    public init(id: ChunkDigest, length: Int64) {
        self.id = id
        self.length = length
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        id = try container.decode(ChunkDigest.self)
        length = try container.decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(id)
        try container.encode(length)
    }
}

/// `POST /v1/clients/{c}/projects/{p}/commits` (staff): new and changed files,
/// deletions and an optional hour entry, applied atomically.
public struct CommitRequestBody: Codable, Hashable, Sendable {
    public var files: [CommitFile]
    public var deletions: [String]
    public var hours: HourLogRequest?

    public init(files: [CommitFile], deletions: [String] = [], hours: HourLogRequest? = nil) {
        self.files = files
        self.deletions = deletions
        self.hours = hours
    }
}

extension CommitRequestBody: PieceEncodable {
    /// The same bytes as `JSONEncoder` with `.sortedKeys`, one file at a time.
    public func jsonBytes() throws -> [UInt8] {
        var writer = CommitBodyWriter(self)
        return try writer.nextPiece(minimumBytes: .max) ?? []
    }
}

/// What a commit did.
public struct CommitResponse: Codable, Hashable, Sendable {
    /// Paths that got a new version.
    public var written: [String]
    public var deleted: [String]
    public var unchanged: [String]
    public var hourEntry: Int64?
    /// The client's change-feed position after the commit.
    public var cursor: Int64

    public init(written: [String], deleted: [String], unchanged: [String], hourEntry: Int64?, cursor: Int64) {
        self.written = written
        self.deleted = deleted
        self.unchanged = unchanged
        self.hourEntry = hourEntry
        self.cursor = cursor
    }

    private enum CodingKeys: String, CodingKey {
        case written, deleted, unchanged, cursor
        case hourEntry = "hour_entry"
    }
}

/// `GET /v1/clients/{c}/projects/{p}/files[?at=N]`: the project's live files.
public struct RemoteFile: Codable, Hashable, Sendable {
    public var path: String
    public var version: Int
    public var size: Int64
    public var mode: Int
    public var mtimeNs: Int64
    public var sha256: ChunkDigest

    public init(path: String, version: Int, size: Int64, mode: Int, mtimeNs: Int64, sha256: ChunkDigest) {
        self.path = path
        self.version = version
        self.size = size
        self.mode = mode
        self.mtimeNs = mtimeNs
        self.sha256 = sha256
    }

    private enum CodingKeys: String, CodingKey {
        case path, version, size, mode, sha256
        case mtimeNs = "mtime_ns"
    }
}
