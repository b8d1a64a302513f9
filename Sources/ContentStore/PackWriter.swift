#if canImport(Glibc)
import Glibc
#endif

/// Appends chunks to a new pack in the staging directory. `finish()` closes it
/// with its index; the caller then hands the file to a `BlobStore`, and only
/// after that commits the entries to the chunk index.
///
/// `@unchecked Sendable`: a writer is only touched by one task at a time, inside
/// the ingest sink's mutex or, once detached from it, by the task that seals it.
final class PackWriter: @unchecked Sendable {
    let name: String
    let path: String
    private let fd: Int32
    private(set) var size: Int64
    private(set) var entries: [PackFormat.Entry] = []
    private var closed = false
    /// Start of the bytes not yet handed to writeback; see `append`.
    private var writebackFrom: Int64 = 0

    /// Writeback is started every 8 MiB, so the disk works while we hash and
    /// the final fsync has little left to wait for.
    private static let writebackInterval: Int64 = 8 << 20

    init(stagingDirectory: String) throws {
        let id = SecureRandom.hex(16)
        name = String(id.prefix(2)) + "/" + id
        path = stagingDirectory + "/pack-" + id
        fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        size = 0
        do {
            try PackFormat.header.withUnsafeBytes { (raw) in try FileIO.write(fd, raw, path: path) }
        } catch {
            abandon()
            throw error
        }
        size = Int64(PackFormat.header.count)
    }

    deinit {
        if !closed { FileIO.close(fd) }
    }

    var isEmpty: Bool { entries.isEmpty }

    func append(_ id: ChunkID, _ bytes: UnsafeRawBufferPointer) throws {
        try FileIO.write(fd, bytes, path: path)
        entries.append(.init(id: id, offset: size, length: bytes.count))
        size += Int64(bytes.count)
        if size - writebackFrom >= Self.writebackInterval {
            FileIO.startWriteback(fd, offset: writebackFrom, length: size - writebackFrom)
            writebackFrom = size
        }
    }

    /// Writes the index and closes the file. The result is not yet durable.
    func finish() throws -> PackRecord {
        let footer = PackFormat.footer(for: entries)
        try footer.withUnsafeBytes { (raw) in try FileIO.write(fd, raw, path: path) }
        size += Int64(footer.count)
        FileIO.close(fd)
        closed = true
        return PackRecord(name: name, size: size, chunkCount: entries.count)
    }

    /// Closes and removes the staging file.
    func abandon() {
        if !closed { FileIO.close(fd); closed = true }
        try? FileIO.unlink(path)
    }
}
