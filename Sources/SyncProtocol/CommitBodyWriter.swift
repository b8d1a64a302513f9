/// The JSON of a ``CommitRequestBody`` written a few files at a time, so that a push of
/// 100,000 files never holds its whole commit: the files come from `file(i)` as they are
/// written, and each piece can go to the connection before the next is made.
///
/// The bytes are those of `JSONEncoder` with `.sortedKeys` for the whole body
/// (`{"deletions":[…],"files":[…],"hours":{…}}`, "hours" left out when nil).
public struct CommitBodyWriter: Sendable {
    public let deletions: [String]
    public let hours: HourLogRequest?
    public let fileCount: Int
    /// The `i`th file of the commit, `0 ..< fileCount`.
    public let file: @Sendable (Int) -> CommitFile

    private var next = -1

    public init(deletions: [String], hours: HourLogRequest?, fileCount: Int, file: @escaping @Sendable (Int) -> CommitFile) {
        self.deletions = deletions
        self.hours = hours
        self.fileCount = fileCount
        self.file = file
    }

    /// The writer of a body already held whole.
    public init(_ body: CommitRequestBody) {
        let files = body.files
        self.init(deletions: body.deletions, hours: body.hours, fileCount: files.count) { files[$0] }
    }

    /// The next piece of the body, of at least `minimumBytes` unless it is the last; nil
    /// once the body is complete.
    public mutating func nextPiece(minimumBytes: Int) throws -> [UInt8]? {
        guard next <= fileCount else { return nil }
        var json = JSONPieces()
        if next < 0 {
            json.raw("{")
            try json.value("deletions")
            json.raw(":")
            try json.value(deletions)
            json.raw(",")
            try json.value("files")
            json.raw(":[")
            next = 0
        }
        while next < fileCount && json.bytes.count < minimumBytes {
            if next > 0 { json.raw(",") }
            try file(next).write(to: &json)
            next += 1
        }
        if next == fileCount {
            json.raw("]")
            if let hours {
                json.raw(",")
                try json.value("hours")
                json.raw(":")
                try json.value(hours)
            }
            json.raw("}")
            next += 1
        }
        return json.bytes
    }
}
