/// The `data` of a "file.put" change: everything a pull needs to fetch the chunks it
/// lacks, assemble the file, check it and set its metadata, without another request.
public struct FilePutData: Codable, Hashable, Sendable {
    public var version: Int
    public var size: Int64
    public var sha256: ChunkDigest
    /// Permission bits, or ``CommitFile/directoryFlag`` plus them for an empty folder.
    public var mode: Int
    public var mtimeNs: Int64
    public var chunks: [ChunkSpan]

    public init(version: Int, size: Int64, sha256: ChunkDigest, mode: Int, mtimeNs: Int64, chunks: [ChunkSpan]) {
        self.version = version
        self.size = size
        self.sha256 = sha256
        self.mode = mode
        self.mtimeNs = mtimeNs
        self.chunks = chunks
    }

    private enum CodingKeys: String, CodingKey {
        case version, size, sha256, mode, chunks
        case mtimeNs = "mtime_ns"
    }

    /// Whether the sizes add up: every chunk 1 byte to 4 GiB, their sum the file's size,
    /// and a folder entry without content. A pull refuses an event that is not, before
    /// anything is fetched or written.
    public var isConsistent: Bool {
        guard size >= 0 else { return false }
        var total: Int64 = 0
        for chunk in chunks {
            guard chunk.length > 0, chunk.length <= Int64(UInt32.max) else { return false }
            total += chunk.length
        }
        return total == size && (!CommitFile.isDirectory(mode: mode) || size == 0)
    }

    /// The event's data, or nil if it is not a well-formed, consistent file version.
    public init?(_ data: JSONValue) {
        guard case let .object(fields) = data,
              let version = fields["version"]?.integerValue, let size = fields["size"]?.integerValue, size >= 0,
              let sha = fields["sha256"]?.stringValue, let sha256 = ChunkDigest(hex: sha),
              let mode = fields["mode"]?.integerValue, let mtime = fields["mtime_ns"]?.integerValue,
              case let .array(list)? = fields["chunks"]
        else { return nil }
        var chunks: [ChunkSpan] = []
        chunks.reserveCapacity(list.count)
        var total: Int64 = 0
        for item in list {
            guard case let .array(pair) = item, pair.count == 2, let hex = pair[0].stringValue,
                  let id = ChunkDigest(hex: hex), let length = pair[1].integerValue, length > 0, length <= Int64(UInt32.max)
            else { return nil }
            chunks.append(ChunkSpan(id: id, length: length))
            total += length
        }
        guard total == size, let versionNumber = Int(exactly: version), let modeBits = Int(exactly: mode) else { return nil }
        self.init(version: versionNumber, size: size, sha256: sha256, mode: modeBits, mtimeNs: mtime, chunks: chunks)
        guard isConsistent else { return nil }
    }
}

extension FilePutData {
    /// The data as the catalog stores it (`{"chunks":[["<hex>",N],…],"mode":N,"mtime_ns":N,
    /// "sha256":"<hex>","size":N,"version":N}`), read without `JSONDecoder`: a pull's feed
    /// holds one per file. Nil for any other form.
    package static func compactJSON(_ bytes: UnsafeRawBufferPointer) -> FilePutData? {
        var reader = CompactJSONReader(bytes)
        guard let data = compactJSON(&reader), reader.atEnd else { return nil }
        return data
    }

    /// ``compactJSON(_:)`` of the value where `reader` stands in a larger document (an event
    /// of the change feed): the reader is then just after it.
    package static func compactJSON(_ reader: inout CompactJSONReader) -> FilePutData? {
        guard reader.take(#"{"chunks":"#),
              let chunks = reader.array({ item -> ChunkSpan? in
                  guard item.take("["), let id = item.digest(), item.take(","), let length = item.integer(), item.take("]")
                  else { return nil }
                  return ChunkSpan(id: id, length: length)
              }),
              reader.take(#","mode":"#), let mode = reader.integer().flatMap({ Int(exactly: $0) }),
              reader.take(#","mtime_ns":"#), let mtime = reader.integer(),
              reader.take(#","sha256":"#), let sha256 = reader.digest(),
              reader.take(#","size":"#), let size = reader.integer(),
              reader.take(#","version":"#), let version = reader.integer().flatMap({ Int(exactly: $0) }),
              reader.take("}")
        else { return nil }
        return FilePutData(version: version, size: size, sha256: sha256, mode: mode, mtimeNs: mtime, chunks: chunks)
    }
}
