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

    /// The manifest's JSON, one file per line (see ``Writer``). It decodes as an
    /// ``ExportManifest``.
    public static func jsonBytes(
        client: String, projects: [String], position: Int64, files: some Sequence<ExportedFile>, hourEntries: [LedgerEntryInfo]
    ) throws -> [UInt8] {
        var writer = try Writer(client: client)
        for file in files { try writer.add(file) }
        return try writer.finish(projects: projects, position: position, hourEntries: hourEntries)
    }

    /// Writes the manifest's JSON as the files come, one per line, for an export that pages
    /// through 100,000 files: neither the files nor an encoder's tree of them are held.
    /// Keys are in sorted order, as `JSONEncoder` with `.sortedKeys` writes them.
    public struct Writer {
        private var json = JSONPieces(formatting: [.withoutEscapingSlashes])
        private var files = 0

        public init(client: String) throws {
            json.raw("{\"client\":")
            try json.value(client)
            json.raw(",\"files\":[")
        }

        public mutating func add(_ file: ExportedFile) throws {
            if files > 0 { json.raw(",") }
            json.lineBreak()
            try json.value(file)
            files += 1
        }

        /// Bytes written and not yet taken.
        public var pendingBytes: Int { json.bytes.count }

        /// The document so far, from where the last take ended (see ``finish(projects:position:hourEntries:)``).
        public mutating func takeBytes() -> [UInt8] { json.takeBytes() }

        /// The rest of the document: all of it unless ``takeBytes()`` took some.
        public consuming func finish(projects: [String], position: Int64, hourEntries: [LedgerEntryInfo]) throws -> [UInt8] {
            json.raw("],\"format\":")
            try json.value(ExportManifest.currentFormat)
            json.raw(",\"hour_entries\":")
            try json.value(hourEntries)
            json.raw(",\"position\":")
            try json.value(position)
            json.raw(",\"projects\":")
            try json.value(projects)
            json.raw("}")
            return json.bytes
        }
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
