import Catalog
import ContentStore
import Foundation
import Hummingbird
import NIOCore
import SyncProtocol

/// The body of `POST …/commits` (a `CommitRequestBody`), decoded as it arrives into what the
/// catalog takes. A push of 100,000 files is a body of tens of MB: collecting it, decoding it
/// whole and then mapping it would hold three copies of the push at once. Here only the
/// `FileUpload`s grow with it; the body passes through in network-sized pieces.
///
/// Answers as ``JSONBody`` would for the same bytes: the same size limit, nesting limit,
/// request hash and errors, in that order. Each file, and every other member of the object,
/// is decoded by `JSONDecoder` itself; ``CommitBodyReader`` only finds where they are.
struct CommitBody: Sendable {
    var files: [FileUpload]
    var deletions: [String]
    var hours: HourLogRequest?
    /// The body's size in bytes.
    let size: Int
    /// As ``JSONBody/requestHash``: the SHA-256 of the method, the path and the exact body.
    let requestHash: [UInt8]

    init(_ request: Request, limit: Int) async throws {
        let hasher = JSONRequest.hasher(for: request)
        var depth = JSONDepth()
        var reader = CommitBodyReader()
        var size = 0
        // As JSONBody, a shape error is reported only once the whole body is in and within
        // the limits: reading goes on, decoding stops.
        var malformed = false
        try await JSONRequest.reading(limit: limit) {
            for try await buffer in request.body {
                size += buffer.readableBytes
                guard size <= limit else { throw JSONRequest.tooLarge(limit) }
                buffer.withUnsafeReadableBytes { raw in
                    hasher.update(raw)
                    depth.scan(raw)
                    guard !malformed, depth.deepest <= JSONRequest.maxDepth else { return }
                    do { try reader.read(raw) } catch { malformed = true }
                }
            }
        }
        guard depth.deepest <= JSONRequest.maxDepth else { throw JSONRequest.tooDeep }
        guard !malformed, let value = try? reader.finish() else { throw JSONRequest.wrongShape }
        (files, deletions, hours) = value
        self.size = size
        requestHash = hasher.finalize().bytes
    }
}

extension FileUpload {
    /// A file of a commit request as the catalog takes it.
    init(_ file: CommitFile) {
        self.init(
            path: file.path, size: file.size, mode: file.mode, mtimeNs: file.mtimeNs,
            manifest: Manifest(
                size: file.size, fileHash: ChunkID(words: file.sha256.words),
                chunks: file.chunks.map { ChunkRef(id: ChunkID(words: $0.id.words), length: Int($0.length)) }),
            phase: file.phase)
    }
}

/// Finds the members of a commit body's top-level object as its bytes arrive, and each file
/// of its "files" array, and hands them to `JSONDecoder` a few hundred files at a time.
///
/// It accepts what `JSONDecoder` accepts around them: JSON whitespace, a trailing comma in
/// the object or the array, members in any order, unknown members (checked, then ignored)
/// and, for a member given twice, the first. A body that is not plain UTF-8 (a byte-order
/// mark, UTF-16 or UTF-32) is kept whole and decoded at the end, as before.
struct CommitBodyReader {
    /// Files per `JSONDecoder` call: small next to the files, large next to a call's overhead.
    static let batchSize = 500

    private enum State {
        /// Before the object's "{".
        case start
        /// Right after "{": the next byte tells UTF-8 from UTF-16 or UTF-32.
        case opened
        /// A key or "}" (after "{" or ",").
        case beforeKey
        case key
        case colon
        case beforeValue
        /// In a member's value other than the first "files" (kept in `token`).
        case value
        /// "," or "}".
        case afterValue
        /// A file or "]" (after "[" or ",").
        case beforeFile
        /// In a file (kept in `batch`).
        case file
        /// "," or "]".
        case afterFile
        /// After the object's "}": whitespace only.
        case end
        /// Not plain UTF-8: everything is kept in `token` for `JSONDecoder`.
        case whole
    }

    private enum Member { case files, deletions, hours, other }

    private struct Malformed: Error {}

    private var state = State.start
    private var scan = JSONValueScan()
    private var token: [UInt8] = []
    private var member = Member.other
    /// The files of the current batch as a JSON array, without its "]".
    private var batch: [UInt8] = [UInt8(ascii: "[")]
    private var batched = 0
    private var files: [FileUpload]?
    private var deletions: [String]?
    private var hours: HourLogRequest??

    /// Reads the next bytes of the body.
    mutating func read(_ bytes: UnsafeRawBufferPointer) throws {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            // False when `byte` ended the value before it and belongs to the next state.
            var consumed = true
            switch state {
            case .start:
                token.append(byte)
                if byte == UInt8(ascii: "{") {
                    state = .opened
                } else if !Self.isWhitespace(byte) {
                    state = .whole
                }
            case .opened:
                if byte == 0 {
                    token.append(byte)
                    state = .whole
                } else {
                    token = []
                    state = .beforeKey
                    consumed = false
                }
            case .whole:
                // Not this reader's business: JSONDecoder decodes it whole, as before.
                token.append(contentsOf: bytes[index...])
                return
            case .beforeKey:
                if byte == UInt8(ascii: "\"") {
                    token = [byte]
                    scan = JSONValueScan()
                    _ = scan.next(byte)
                    state = .key
                } else if byte == UInt8(ascii: "}") {
                    state = .end
                } else if !Self.isWhitespace(byte) {
                    throw Malformed()
                }
            case .key:
                token.append(byte)
                if scan.next(byte) == .done {
                    let key = try JSONDecoder().decode(String.self, from: Data(token))
                    // As JSONDecoder, the first of a member given twice counts.
                    member = switch key {
                    case "files" where files == nil: .files
                    case "deletions" where deletions == nil: .deletions
                    case "hours" where hours == nil: .hours
                    default: .other
                    }
                    state = .colon
                }
            case .colon:
                if byte == UInt8(ascii: ":") {
                    state = .beforeValue
                } else if !Self.isWhitespace(byte) {
                    throw Malformed()
                }
            case .beforeValue:
                if Self.isWhitespace(byte) { break }
                if member == .files {
                    guard byte == UInt8(ascii: "[") else { throw Malformed() }
                    files = []
                    state = .beforeFile
                } else {
                    guard JSONValueScan.canStart(byte) else { throw Malformed() }
                    token = []
                    scan = JSONValueScan()
                    state = .value
                    consumed = false
                }
            case .value:
                switch scan.next(byte) {
                case .more:
                    token.append(byte)
                case .done:
                    token.append(byte)
                    try endValue()
                case .endedBefore:
                    try endValue()
                    consumed = false
                }
            case .afterValue:
                if byte == UInt8(ascii: ",") {
                    state = .beforeKey
                } else if byte == UInt8(ascii: "}") {
                    state = .end
                } else if !Self.isWhitespace(byte) {
                    throw Malformed()
                }
            case .beforeFile:
                if byte == UInt8(ascii: "]") {
                    try decodeBatch()
                    state = .afterValue
                } else if !Self.isWhitespace(byte) {
                    guard JSONValueScan.canStart(byte) else { throw Malformed() }
                    if batched > 0 { batch.append(UInt8(ascii: ",")) }
                    scan = JSONValueScan()
                    state = .file
                    consumed = false
                }
            case .file:
                switch scan.next(byte) {
                case .more:
                    batch.append(byte)
                case .done:
                    batch.append(byte)
                    try endFile()
                case .endedBefore:
                    try endFile()
                    consumed = false
                }
            case .afterFile:
                if byte == UInt8(ascii: ",") {
                    state = .beforeFile
                } else if byte == UInt8(ascii: "]") {
                    try decodeBatch()
                    state = .afterValue
                } else if !Self.isWhitespace(byte) {
                    throw Malformed()
                }
            case .end:
                guard Self.isWhitespace(byte) else { throw Malformed() }
            }
            if consumed { index += 1 }
        }
    }

    /// The decoded body, once all of it has been read.
    mutating func finish() throws -> (files: [FileUpload], deletions: [String], hours: HourLogRequest?) {
        switch state {
        case .whole, .start, .opened:
            // `.start` and `.opened`: nothing or whitespace, or a lone "{" (each refused).
            let whole = try JSONDecoder().decode(CommitInput.self, from: Data(token))
            return (whole.files, whole.deletions, whole.hours)
        case .end:
            guard let files, let deletions else { throw Malformed() }
            return (files, deletions, hours ?? nil)
        default:
            throw Malformed()
        }
    }

    private mutating func endValue() throws {
        let data = Data(token)
        token = []
        switch member {
        case .deletions: deletions = try JSONDecoder().decode([String].self, from: data)
        case .hours: hours = .some(try JSONDecoder().decode(HourLogRequest?.self, from: data))
        case .other, .files: _ = try JSONDecoder().decode(AnyJSON.self, from: data)
        }
        state = .afterValue
    }

    private mutating func endFile() throws {
        batched += 1
        if batched == Self.batchSize { try decodeBatch() }
        state = .afterFile
    }

    private mutating func decodeBatch() throws {
        guard batched > 0 else { return }
        batch.append(UInt8(ascii: "]"))
        files?.append(contentsOf: try JSONDecoder().decode(FileBatch.self, from: Data(batch)).files)
        batch.removeAll(keepingCapacity: true)
        batch.append(UInt8(ascii: "["))
        batched = 0
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { JSONValueScan.isWhitespace(byte) }
}

/// Files decoded straight into `FileUpload`s, one `CommitFile` at a time.
private struct FileBatch: Decodable {
    var files: [FileUpload] = []

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        if let count = container.count { files.reserveCapacity(count) }
        while !container.isAtEnd { files.append(FileUpload(try container.decode(CommitFile.self))) }
    }
}

/// A whole `CommitRequestBody`, decoded as its own `Decodable` would, files as `FileUpload`s.
private struct CommitInput: Decodable {
    var files: [FileUpload]
    var deletions: [String]
    var hours: HourLogRequest?

    enum CodingKeys: String, CodingKey { case files, deletions, hours }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        files = try container.decode(FileBatch.self, forKey: .files).files
        deletions = try container.decode([String].self, forKey: .deletions)
        hours = try container.decodeIfPresent(HourLogRequest.self, forKey: .hours)
    }
}

/// Any JSON value: decoding it only checks that it is one.
private struct AnyJSON: Decodable {
    init(from decoder: any Decoder) throws {}
}
