import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// A file a pull can copy chunks from: a synced file that is still as the last pull
/// left it, or a file this pull has written. A class, so a file renamed into place
/// keeps its entries (the path moves with it) and a file found bad drops them all.
final class ChunkSourceFile {
    /// Nil once the file is gone or known bad: its chunks are no longer offered.
    var path: String?

    init(path: String) { self.path = path }
}

/// Where each chunk can be found locally, so only what no local file holds is fetched:
/// the previous version of a file, any other file of the folder (a rename), a file
/// written earlier in the same pull (a duplicate), a partial file of a killed pull.
final class LocalChunkIndex {
    struct Location {
        var file: ChunkSourceFile
        var offset: Int64
        var length: Int
    }

    private var locations: [ChunkID: Location] = [:]

    var count: Int { locations.count }

    func contains(_ id: ChunkID) -> Bool { locations[id] != nil }

    /// Offers the chunks of `file`, laid end to end from offset 0; the first source of a
    /// chunk is kept.
    func add(_ chunks: [ChunkRef], in file: ChunkSourceFile) {
        var offset: Int64 = 0
        for chunk in chunks {
            add(chunk, in: file, at: offset)
            offset += Int64(chunk.length)
        }
    }

    func add(_ chunk: ChunkRef, in file: ChunkSourceFile, at offset: Int64) {
        if locations[chunk.id] == nil { locations[chunk.id] = Location(file: file, offset: offset, length: chunk.length) }
    }

    func location(of id: ChunkID) -> Location? {
        guard let location = locations[id], location.file.path != nil else { return nil }
        return location
    }
}

/// Reads chunks out of local files, keeping the last few open: consecutive chunks
/// mostly come from the same file.
final class ChunkSourceReader {
    private var open: [(file: ObjectIdentifier, fd: Int32)] = []
    private static let keepOpen = 8

    deinit {
        for entry in open { FileIO.close(entry.fd) }
    }

    /// The chunk's bytes, or nil when the file is gone or too short (the caller then
    /// treats the file being written as failed and fetches it whole later).
    func read(_ location: LocalChunkIndex.Location) -> [UInt8]? {
        guard let path = location.file.path, let fd = descriptor(for: location.file, path: path) else { return nil }
        var bytes = [UInt8](repeating: 0, count: location.length)
        do {
            try bytes.withUnsafeMutableBytes { try FileIO.pread(fd, into: $0, at: location.offset, path: path) }
        } catch {
            return nil
        }
        return bytes
    }

    private func descriptor(for file: ChunkSourceFile, path: String) -> Int32? {
        let key = ObjectIdentifier(file)
        if let entry = open.first(where: { $0.file == key }) { return entry.fd }
        guard let fd = try? FileIO.open(path, O_RDONLY) else { return nil }
        if open.count == Self.keepOpen { FileIO.close(open.removeFirst().fd) }
        open.append((key, fd))
        return fd
    }
}
