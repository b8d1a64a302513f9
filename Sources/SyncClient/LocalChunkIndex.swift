import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// A file a pull can copy chunks from: a synced file that is still as the last pull
/// left it, or a file this pull has written. A class, so a file renamed into place
/// keeps its entries (the path moves with it) and a file found bad drops them all.
///
/// The path is kept in parts shared with other strings (the folder, a synced path,
/// a content's folder and hash) and put together only to open the file: a pull of
/// 100,000 files holds as many sources.
final class ChunkSourceFile {
    private enum Place {
        case file(folder: String, relative: String)
        /// `<directory>/.followup-<sha>.part`; `written` once the writer is done with it.
        case assembled(directory: String, sha: ChunkID, written: Bool)
        /// Gone or known bad: its chunks are no longer offered.
        case gone
    }

    private var place: Place

    /// `<folder>/<relative>`.
    init(folder: String, relative: String) { place = .file(folder: folder, relative: relative) }

    /// A content ``FileMaterializer`` assembles in `directory` (still being written, unless `written`).
    init(assembling sha: ChunkID, in directory: String, written: Bool = false) {
        place = .assembled(directory: directory, sha: sha, written: written)
    }

    var isGone: Bool {
        if case .gone = place { return true }
        return false
    }

    /// Not a content this pull is still writing (or has written and not yet checked).
    var isWritten: Bool {
        if case .assembled(_, _, false) = place { return false }
        return true
    }

    /// Nil once the file is gone or known bad.
    var path: String? {
        switch place {
        case let .file(folder, relative): folder + "/" + relative
        case let .assembled(directory, sha, _): FileMaterializer.path(for: sha, in: directory)
        case .gone: nil
        }
    }

    /// The assembled content is written and checked.
    func settled() {
        if case let .assembled(directory, sha, _) = place { place = .assembled(directory: directory, sha: sha, written: true) }
    }

    func drop() { place = .gone }
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
    /// The only chunks worth a place, when known: offering every chunk of every file
    /// a large pull writes or holds would cost tens of MB for no copy at all.
    var wanted: SortedChunkIDs?

    init(offering wanted: SortedChunkIDs? = nil) {
        self.wanted = wanted
    }

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
        if wanted?.contains(chunk.id) ?? true, locations[chunk.id] == nil { locations[chunk.id] = Location(file: file, offset: offset, length: chunk.length) }
    }

    func location(of id: ChunkID) -> Location? {
        guard let location = locations[id], !location.file.isGone else { return nil }
        return location
    }
}

/// Reads chunks out of local files, keeping the last few open: consecutive chunks
/// mostly come from the same file.
final class ChunkSourceReader {
    /// Held strongly: an identifier of a freed source could name a new one.
    private var open: [(file: ChunkSourceFile, fd: Int32, path: String)] = []
    private static let keepOpen = 8

    deinit {
        for entry in open { FileIO.close(entry.fd) }
    }

    /// The chunk's bytes, or nil when the file is gone or too short (the caller then
    /// treats the file being written as failed and fetches it whole later).
    func read(_ location: LocalChunkIndex.Location) -> [UInt8]? {
        guard !location.file.isGone, let (fd, path) = descriptor(for: location.file) else { return nil }
        var bytes = [UInt8](repeating: 0, count: location.length)
        do {
            try bytes.withUnsafeMutableBytes { try FileIO.pread(fd, into: $0, at: location.offset, path: path) }
        } catch {
            return nil
        }
        return bytes
    }

    private func descriptor(for file: ChunkSourceFile) -> (Int32, String)? {
        if let entry = open.first(where: { $0.file === file }) { return (entry.fd, entry.path) }
        guard let path = file.path, let fd = try? FileIO.open(path, O_RDONLY) else { return nil }
        if open.count == Self.keepOpen { FileIO.close(open.removeFirst().fd) }
        open.append((file, fd, path))
        return (fd, path)
    }
}
