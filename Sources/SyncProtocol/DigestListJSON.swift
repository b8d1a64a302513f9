// Chunk id lists in JSON without Foundation's coders, which take a few microseconds
// per id each way: a push asks about every chunk it has (7,000 ids for 500 MB, a
// million for 60 GB), and each list is encoded and decoded twice per round trip.
// The writer gives the bytes `JSONEncoder` would; the reader (``CompactJSONDecodable``)
// takes only that compact form.

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

extension ChunkListRequest: CompactJSONDecodable {
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

extension MissingChunksResponse: CompactJSONDecodable, PieceEncodable {
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
