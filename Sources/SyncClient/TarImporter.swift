import ArchiveIO
import ContentStore
import Foundation
import Logging
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Why a tar was refused for import. Each names the entry at fault; nothing of a
/// refused tar reaches the server.
public enum ImportError: Error, Equatable, CustomStringConvertible {
    case archive(ArchiveError)
    case duplicate(entry: String)
    case fileAndFolder(entry: String, other: String)
    case sizeBeyondArchive(entry: String, declared: Int64, archiveBytes: Int64)
    case io(String)

    public var description: String {
        switch self {
        case let .archive(error): "refused: \(error)"
        case let .duplicate(entry): "refused: the entry \(entry) appears twice in the tar"
        case let .fileAndFolder(entry, other): "refused: the entry \(entry) needs \(other) to be a folder, but the tar has it as a file"
        case let .sizeBeyondArchive(entry, declared, archiveBytes):
            "refused: the entry \(entry) declares \(declared) bytes, more than the whole tar (\(archiveBytes) bytes)"
        case let .io(message): message
        }
    }
}

/// `followup import FILE.tar CLIENT/PROJECT`: a foreign tar, read as hostile input,
/// uploaded as one commit through the same path as a push.
///
/// The tar is read to the end first, into a private staging folder: every entry is
/// checked (paths, links, devices, duplicates, a file where a folder must be, sizes
/// beyond the archive, truncation) before anything is sent, so a tar that fails
/// commits nothing. Existing files of the project stay (a push with `--no-delete`).
public struct TarImporter: Sendable {
    public let pusher: Pusher

    public init(pusher: Pusher) {
        self.pusher = pusher
    }

    public func importTar(
        _ path: String, client: String, project: String, phase: String? = nil,
        progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil
    ) async throws -> PushSummary {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("followup-import-\(UUID().uuidString)").path
        try FileIO.makeDirectories(staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try Self.extract(path, into: staging)
        return try await pusher.push(
            directory: staging, client: client, project: project, phase: phase, deleteMissing: false, progress: progress)
    }

    /// Writes the tar's folders and regular files under `root` (a new, empty folder),
    /// refusing the whole tar at its first bad entry.
    static func extract(_ path: String, into root: String) throws {
        let fd: Int32
        do { fd = try FileIO.open(path, O_RDONLY) } catch { throw ImportError.io("cannot read \(path): \(error)") }
        defer { FileIO.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ImportError.io("cannot read \(path)") }
        let archiveBytes = Int64(status.st_size)
        do {
            var reader = try TarReader(fileDescriptor: fd)
            var seen = Set<String>()
            var files = Set<String>()
            while let entry = try reader.next() {
                let name = entry.path.string
                guard seen.insert(name).inserted else { throw ImportError.duplicate(entry: name) }
                // A parent that is a file: the tar describes a tree no folder can hold.
                var parent = ""
                for component in entry.path.components.dropLast() {
                    parent += parent.isEmpty ? String(component) : "/" + component
                    if files.contains(parent) { throw ImportError.fileAndFolder(entry: name, other: parent) }
                }
                let target = root + "/" + name
                try FileIO.makeDirectories(FileIO.parent(of: target))
                switch entry.kind {
                case .directory:
                    try FileIO.makeDirectories(target)
                case .regularFile:
                    // A plain tar cannot hold more than its own size (compressed ones are
                    // caught as truncated instead).
                    if entry.size > archiveBytes && !isCompressed(fd) {
                        throw ImportError.sizeBeyondArchive(entry: name, declared: entry.size, archiveBytes: archiveBytes)
                    }
                    files.insert(name)
                    let out = try FileIO.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
                    defer { FileIO.close(out) }
                    try reader.readData(blockSize: 1 << 20) { block in
                        try FileIO.write(out, block, path: target)
                    }
                    _ = fchmod(out, mode_t(entry.mode & 0o777) | 0o600)
                    var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: 0), timespec(tv_sec: Int(entry.mtime), tv_nsec: 0)]
                    _ = futimens(out, &times)
                }
            }
        } catch let error as ArchiveError {
            throw ImportError.archive(error)
        } catch let error as StoreError {
            throw ImportError.io("cannot stage the tar's files: \(error)")
        }
    }

    /// Whether the file starts with a gzip, xz, zstd or bzip2 signature.
    private static func isCompressed(_ fd: Int32) -> Bool {
        var magic = [UInt8](repeating: 0, count: 6)
        guard pread(fd, &magic, 6, 0) == 6 else { return false }
        return magic.starts(with: [0x1F, 0x8B]) || magic.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
            || magic.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) || magic.starts(with: [0x42, 0x5A, 0x68])
    }
}
