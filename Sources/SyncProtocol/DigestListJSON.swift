/// Chunk id lists in JSON without Foundation's coders, which take a few microseconds
/// per id each way: a push asks about every chunk it has (7,000 ids for 500 MB, a
/// million for 60 GB), and each list is encoded and decoded twice per round trip.
///
/// The writer gives the bytes `JSONEncoder` would; the reader takes only that compact
/// form and returns nil for anything else, which then goes to `JSONDecoder`.
public protocol DigestListJSON: Decodable {
    /// The value, if `bytes` are exactly the compact JSON its writer produces.
    static func compactJSON(_ bytes: UnsafeRawBufferPointer) -> Self?
}

extension JSONPieces {
    /// `"…"` with the id's 64 hex digits.
    public mutating func digest(_ digest: ChunkDigest) {
        append(UInt8(ascii: "\""))
        digest.appendHex(to: &self)
        append(UInt8(ascii: "\""))
    }

    /// `[…]` of ids.
    public mutating func digests(_ digests: [ChunkDigest]) {
        array(digests) { $0.digest($1) }
    }
}

/// Reads the compact JSON of `DigestListJSON` types, byte by byte; any surprise is nil.
struct CompactJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    /// Consumes `text` if the bytes continue with it.
    mutating func take(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        let matches = text.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[position + $0] == expected[$0] }
        }
        if matches { position += count }
        return matches
    }

    /// A string of letters, digits and `-` (no escapes), after its opening quote; consumes the closing one.
    mutating func plainString() -> String? {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            let c = bytes[position]
            guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x2D else { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// `[]` or `["<64 hex digits>",…]`.
    mutating func digests() -> [ChunkDigest]? {
        guard take("[") else { return nil }
        var out: [ChunkDigest] = []
        out.reserveCapacity((bytes.count - position) / 67)
        if take("]") { return out }
        repeat {
            guard bytes.count - position >= 66, bytes[position] == UInt8(ascii: "\""), bytes[position + 65] == UInt8(ascii: "\""),
                  let digest = ChunkDigest(hexDigits: UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<(position + 65)]))
            else { return nil }
            out.append(digest)
            position += 66
        } while take(",")
        return take("]") ? out : nil
    }
}

extension ChunkListRequest: DigestListJSON {
    public static func compactJSON(_ bytes: UnsafeRawBufferPointer) -> ChunkListRequest? {
        var reader = CompactJSONReader(bytes)
        guard reader.take("{") else { return nil }
        var compression: String?
        if reader.take("\"compression\":\"") {
            guard let value = reader.plainString(), reader.take(",") else { return nil }
            compression = value
        }
        guard reader.take("\"ids\":"), let ids = reader.digests(), reader.take("}"), reader.atEnd else { return nil }
        return ChunkListRequest(ids: ids, compression: compression)
    }
}

extension MissingChunksResponse: DigestListJSON, PieceEncodable {
    public static func compactJSON(_ bytes: UnsafeRawBufferPointer) -> MissingChunksResponse? {
        var reader = CompactJSONReader(bytes)
        guard reader.take("{\"missing\":"), let missing = reader.digests(), reader.take("}"), reader.atEnd else { return nil }
        return MissingChunksResponse(missing: missing)
    }

    /// The same bytes as `JSONEncoder` with `.sortedKeys`.
    public func jsonBytes() throws -> [UInt8] {
        var json = JSONPieces()
        try json.object { members in
            try members.member("missing") { $0.digests(missing) }
        }
        return json.bytes
    }
}
