import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Packs as files under a directory, fanned out by the first two hex digits:
/// `root/ab/abcdef…`. Writes are durable: the file is fsynced, renamed into
/// place and its directory fsynced before `put` returns.
public struct LocalBlobStore: BlobStore {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try FileIO.makeDirectories(root)
    }

    /// Object names are `xx/<hex>` where xx is the first two digits; anything
    /// else (a `..`, a slash too many) is refused before it reaches the file system.
    static func validate(_ name: String) throws {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count >= 2, parts[1].count <= 128,
              parts[1].hasPrefix(parts[0]),
              parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { throw StoreError.invalidParameters("invalid object name \"\(name)\"") }
    }

    private func path(_ name: String) throws -> String {
        try Self.validate(name)
        return root + "/" + name
    }

    public func put(_ name: String, movingFile localPath: String) async throws {
        let target = try path(name)
        let directory = FileIO.parent(of: target)
        let fd = try FileIO.open(localPath, O_RDONLY)
        do {
            try FileIO.fsync(fd, path: localPath)
            FileIO.close(fd)
        } catch {
            FileIO.close(fd)
            throw error
        }
        let created = !FileIO.exists(directory)
        try FileIO.makeDirectories(directory)
        try FileIO.rename(localPath, target)
        try FileIO.syncDirectory(directory)
        if created { try FileIO.syncDirectory(root) }
    }

    public func put(_ name: String, bytes: [UInt8]) async throws {
        let target = try path(name)
        let directory = FileIO.parent(of: target)
        let created = !FileIO.exists(directory)
        try FileIO.makeDirectories(directory)
        try FileIO.writeAtomically(bytes, to: target)
        if created { try FileIO.syncDirectory(root) }
    }

    public func get(_ name: String) async throws -> [UInt8] {
        try FileIO.readAll(try path(name))
    }

    public func read(_ name: String, offset: Int64, length: Int) async throws -> [UInt8] {
        let target = try path(name)
        let fd = try FileIO.open(target, O_RDONLY)
        defer { FileIO.close(fd) }
        return try Self.read(fd, target, offset: offset, length: length)
    }

    /// Keeps the last pack read open: a fetch or an export reads the chunks of a pack one
    /// after another, and opening and closing it for each was 7% of the server's time in a pull.
    public func rangeReader() -> any BlobRangeReader {
        OpenPackReader(store: self)
    }

    private final class OpenPackReader: BlobRangeReader {
        let store: LocalBlobStore
        private var open: (name: String, path: String, fd: Int32)?

        init(store: LocalBlobStore) {
            self.store = store
        }

        deinit {
            if let open { FileIO.close(open.fd) }
        }

        func read(_ name: String, offset: Int64, length: Int) async throws -> [UInt8] {
            if open?.name != name {
                if let open { FileIO.close(open.fd) }
                open = nil
                let target = try store.path(name)
                open = (name, target, try FileIO.open(target, O_RDONLY))
            }
            let (_, path, fd) = open!
            return try LocalBlobStore.read(fd, path, offset: offset, length: length)
        }
    }

    private static func read(_ fd: Int32, _ path: String, offset: Int64, length: Int) throws -> [UInt8] {
        // Not zero-filled first: pread fills every byte or throws.
        try [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            try FileIO.pread(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset, path: path)
            count = length
        }
    }

    public func info(_ name: String) async throws -> BlobInfo? {
        let target = try path(name)
        guard FileIO.exists(target) else { return nil }
        return Self.info(name: name, stat: try FileIO.status(target))
    }

    public func list() async throws -> [BlobInfo] {
        var out: [BlobInfo] = []
        for directory in try FileIO.list(root).sorted() where directory.count == 2 {
            for file in try FileIO.list(root + "/" + directory).sorted() {
                let name = directory + "/" + file
                // Temp files and strangers are not objects.
                guard (try? Self.validate(name)) != nil,
                      let st = try? FileIO.status(root + "/" + name), (st.st_mode & S_IFMT) == S_IFREG
                else { continue }
                out.append(Self.info(name: name, stat: st))
            }
        }
        return out
    }

    public func delete(_ name: String) async throws {
        try FileIO.unlink(try path(name))
    }

    private static func info(name: String, stat st: stat) -> BlobInfo {
        let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        return BlobInfo(name: name, size: Int64(st.st_size), modified: modified)
    }
}
