import ArchiveIO
import Catalog
import ContentStore
import Foundation
import Logging

/// What a backup holds, or what a restore put back: `backup --json` and `restore --json`.
public struct BackupSummary: Codable, Sendable, Hashable {
    public var tables: Int
    public var rows: Int
    public var packs: Int
    public var packBytes: Int64

    enum CodingKeys: String, CodingKey {
        case tables, rows, packs
        case packBytes = "pack_bytes"
    }
}

/// `followup-backup.json`, the first entry of a backup tar.
struct BackupHeader: Codable {
    static let fileName = "followup-backup.json"
    static let currentFormat = 1
    var format: Int
    var created: Int64
    var tables: Int
    var rows: Int
    var packs: Int
}

public enum BackupError: Error, CustomStringConvertible {
    case notEmpty(String)
    case notABackup(String)
    case unexpectedEntry(String)

    public var description: String {
        switch self {
        case let .notEmpty(path): "\(path) is not empty: restore into a new, empty storage folder"
        case let .notABackup(reason): "not a Follow Up backup: \(reason)"
        case let .unexpectedEntry(entry): "the backup has an unexpected entry \(entry); nothing was restored"
        }
    }
}

extension Storage {
    /// Writes a consistent snapshot of the whole storage to the tar at `path` while the
    /// server may keep running: the catalog as JSON lines (one read transaction) and every
    /// pack the catalog can refer to. The store's lock is held shared meanwhile, so gc
    /// cannot delete a pack under it; packs sealed after the snapshot come along unused.
    /// The tar is written beside `path` and renamed into place when complete.
    public func backup(to path: String, progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil) async throws -> BackupSummary {
        let lock = try store.sharedLock(for: "the backup")
        defer { withExtendedLifetime(lock) {} }
        let dumpPath = store.stagingDirectory + "/backup-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: dumpPath) }
        let dump = try await catalog.dump(to: dumpPath)
        let packs = try await store.blobs.list().sorted { $0.name < $1.name }
        let total = packs.reduce(Int64(0)) { $0 + $1.size }
        let header = BackupHeader(
            format: BackupHeader.currentFormat, created: Int64(Date().timeIntervalSince1970), tables: dump.tables,
            rows: dump.rows, packs: packs.count)

        let temporary = path + ".part-\(UUID().uuidString.prefix(8))"
        do {
            var tar = try TarWriter(path: temporary)
            let now = header.created
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            for (name, bytes) in [
                (BackupHeader.fileName, Array(try encoder.encode(header))),
                ("store.json", Array(try Data(contentsOf: URL(fileURLWithPath: configuration.storagePath + "/store.json")))),
            ] {
                try tar.beginFile(path: name, size: Int64(bytes.count), mtime: now)
                try tar.writeData(bytes)
                try tar.endFile()
            }
            try Self.copy(file: dumpPath, as: "catalog.jsonl", into: &tar, mtime: now)
            var done: Int64 = 0
            for pack in packs {
                try tar.beginFile(path: "packs/" + pack.name, size: pack.size, mtime: Int64(pack.modified.timeIntervalSince1970))
                var offset: Int64 = 0
                while offset < pack.size {
                    let length = Int(min(Int64(1 << 20), pack.size - offset))
                    try tar.writeData(try await store.blobs.read(pack.name, offset: offset, length: length))
                    offset += Int64(length)
                    done += Int64(length)
                    progress?(done, total)
                }
                try tar.endFile()
            }
            try tar.finish()
            let fd = try FileIO.open(temporary, O_RDONLY)
            defer { FileIO.close(fd) }
            try FileIO.fsync(fd, path: temporary)
            try FileIO.rename(temporary, path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        logger.notice("backup written", metadata: ["file": "\(path)", "packs": "\(packs.count)", "rows": "\(dump.rows)"])
        return BackupSummary(tables: dump.tables, rows: dump.rows, packs: packs.count, packBytes: total)
    }

    /// Rebuilds a storage from a ``backup(to:progress:)`` tar into `configuration`'s
    /// storage folder, which must be empty or absent. All or nothing: on any error the
    /// folder is removed again. The tar is read as hostile input like any other.
    public static func restore(from path: String, configuration: FollowUpConfiguration, logger: Logger) async throws -> BackupSummary {
        let root = configuration.storagePath
        if FileManager.default.fileExists(atPath: root) {
            guard (try FileManager.default.contentsOfDirectory(atPath: root)).allSatisfy({ $0 == ".gitkeep" }) else {
                throw BackupError.notEmpty(root)
            }
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        do {
            return try await restoreEntries(from: path, configuration: configuration, logger: logger)
        } catch {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where name != ".gitkeep" {
                try? FileManager.default.removeItem(atPath: root + "/" + name)
            }
            throw error
        }
    }

    private static func restoreEntries(from path: String, configuration: FollowUpConfiguration, logger: Logger) async throws -> BackupSummary {
        var reader = try TarReader(path: path)
        guard let first = try reader.next(), first.path.string == BackupHeader.fileName, first.kind == .regularFile,
              first.size < 1 << 20
        else { throw BackupError.notABackup("it does not start with \(BackupHeader.fileName)") }
        let header = try JSONDecoder().decode(BackupHeader.self, from: Data(try readSmall(&reader)))
        guard header.format == BackupHeader.currentFormat else { throw BackupError.notABackup("format \(header.format)") }

        var catalog: Catalog?
        do {
            let summary = try await restoreContents(&reader, header: header, configuration: configuration, catalog: &catalog, logger: logger)
            await catalog?.close()
            return summary
        } catch {
            await catalog?.close()
            throw error
        }
    }

    private static func restoreContents(
        _ reader: inout TarReader, header: BackupHeader, configuration: FollowUpConfiguration, catalog: inout Catalog?,
        logger: Logger
    ) async throws -> BackupSummary {
        let root = configuration.storagePath
        var store: ChunkStore?
        let dumpPath = root + "/restore-catalog.jsonl"
        defer { try? FileManager.default.removeItem(atPath: dumpPath) }
        var packs = 0
        var packBytes: Int64 = 0
        var loaded: CatalogDumpSummary?
        while let entry = try reader.next() {
            let name = entry.path.string
            switch (name, entry.kind) {
            case ("store.json", .regularFile) where store == nil && entry.size < 1 << 20:
                try Data(try readSmall(&reader)).write(to: URL(fileURLWithPath: root + "/store.json"))
                let opened = try await Catalog.open(path: try databasePath(configuration), logger: logger)
                catalog = opened
                store = try ChunkStore.open(at: root, index: opened, chunker: configuration.chunking, logger: logger)
            case ("catalog.jsonl", .regularFile):
                try write(&reader, to: dumpPath)
            case (_, .regularFile) where name.hasPrefix("packs/") && store != nil:
                let staged = store!.stagingDirectory + "/restore-\(UUID().uuidString)"
                try write(&reader, to: staged)
                try await store!.blobs.put(String(name.dropFirst("packs/".count)), movingFile: staged)
                packs += 1
                packBytes += entry.size
            case (_, .directory) where name == "packs" || name.hasPrefix("packs/"):
                continue
            default:
                throw BackupError.unexpectedEntry(name)
            }
        }
        guard let catalog, FileManager.default.fileExists(atPath: dumpPath) else {
            throw BackupError.notABackup("store.json or catalog.jsonl is missing")
        }
        loaded = try await catalog.load(dumpAt: dumpPath)
        guard packs == header.packs else { throw BackupError.notABackup("\(header.packs) packs announced, \(packs) found") }
        logger.notice("storage restored", metadata: ["storage": "\(root)", "packs": "\(packs)", "rows": "\(loaded?.rows ?? 0)"])
        return BackupSummary(tables: loaded?.tables ?? 0, rows: loaded?.rows ?? 0, packs: packs, packBytes: packBytes)
    }

    private static func readSmall(_ reader: inout TarReader) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try reader.readData { bytes += $0 }
        return bytes
    }

    private static func write(_ reader: inout TarReader, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw StoreError.io(operation: "create", path: path, message: "cannot create the file")
        }
        defer { try? handle.close() }
        try reader.readData(blockSize: 1 << 20) { block in try handle.write(contentsOf: Data(block)) }
        try handle.synchronize()
    }

    private static func copy(file: String, as name: String, into tar: inout TarWriter, mtime: Int64) throws {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw StoreError.io(operation: "open", path: file, message: "cannot read the file")
        }
        defer { try? handle.close() }
        let size = Int64((try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0)
        try tar.beginFile(path: name, size: size, mtime: mtime)
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            try tar.writeData(Array(piece))
        }
        try tar.endFile()
    }
}
