/// `followup-manifest.json` at the top of an export tar: what the tar holds and where it
/// came from, so a tar on its own says which versions, hashes and hours it carries.
public struct ExportManifest: Codable, Hashable, Sendable {
    public static let fileName = "followup-manifest.json"
    public static let currentFormat = 1

    public var format: Int
    public var client: String
    /// The projects exported (one, or all of the client's).
    public var projects: [String]
    /// The change-feed position the tar shows.
    public var position: Int64
    public var files: [ExportedFile]
    /// The ledger entries up to `position` (of the exported projects).
    public var hourEntries: [LedgerEntryInfo]

    public init(client: String, projects: [String], position: Int64, files: [ExportedFile], hourEntries: [LedgerEntryInfo]) {
        format = Self.currentFormat
        self.client = client
        self.projects = projects
        self.position = position
        self.files = files
        self.hourEntries = hourEntries
    }

    private enum CodingKeys: String, CodingKey {
        case format, client, projects, position, files
        case hourEntries = "hour_entries"
    }

    /// The manifest's JSON written one file per line, without holding the whole document
    /// (or the array of files) in memory twice: what an export of 100,000 files needs.
    /// It decodes as an ``ExportManifest``.
    public static func jsonBytes(
        client: String, projects: [String], position: Int64, files: some Sequence<ExportedFile>, hourEntries: [LedgerEntryInfo]
    ) throws -> [UInt8] {
        var json = JSONPieces(formatting: [.withoutEscapingSlashes])
        try json.object { members in
            try members.member("client", client)
            try members.member("files") { list in
                try list.array(files) { line, file in
                    line.lineBreak()
                    try line.value(file)
                }
            }
            try members.member("format", currentFormat)
            try members.member("hour_entries", hourEntries)
            try members.member("position", position)
            try members.member("projects", projects)
        }
        return json.bytes
    }
}

/// One file (or empty folder) of an export: its path in the tar is `<project>/<path>`.
public struct ExportedFile: Codable, Hashable, Sendable {
    public var project: String
    public var path: String
    public var version: Int
    public var size: Int64
    public var mode: Int
    public var mtimeNs: Int64
    public var sha256: ChunkDigest
    public var phase: String?
    /// The ledger entry (sequence) of the hours logged with the push that wrote it.
    public var hourEntry: Int64?

    public init(
        project: String, path: String, version: Int, size: Int64, mode: Int, mtimeNs: Int64, sha256: ChunkDigest,
        phase: String?, hourEntry: Int64?
    ) {
        self.project = project
        self.path = path
        self.version = version
        self.size = size
        self.mode = mode
        self.mtimeNs = mtimeNs
        self.sha256 = sha256
        self.phase = phase
        self.hourEntry = hourEntry
    }

    private enum CodingKeys: String, CodingKey {
        case project, path, version, size, mode, sha256, phase
        case mtimeNs = "mtime_ns"
        case hourEntry = "hour_entry"
    }
}
