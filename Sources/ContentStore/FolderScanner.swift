import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A regular file found under a folder.
public struct ScannedFile: Sendable, Hashable {
    /// Relative to the scanned folder, "/"-separated.
    public var path: String
    /// The scanned folder. Every file of a scan shares this one string, so a scan of
    /// 100,000 files does not also hold 100,000 absolute paths.
    public var root: String
    /// `root/path`, made when asked for.
    public var absolutePath: String { root + "/" + path }
    public var size: Int64
    public var mode: UInt32
    /// Modification time in nanoseconds since 1970, exactly as the file system has it.
    public var modifiedNanoseconds: Int64
    /// The inode and the status change time: with the size and the modification time,
    /// what tells that a file is untouched since it was last read (a push's cache).
    public var inode: UInt64
    public var changedNanoseconds: Int64

    /// The modification time as a `Date` (to about a microsecond).
    public var modified: Date { Date(timeIntervalSince1970: Double(modifiedNanoseconds) / 1e9) }

    public init(
        path: String, root: String, size: Int64, mode: UInt32, modifiedNanoseconds: Int64,
        inode: UInt64 = 0, changedNanoseconds: Int64 = 0
    ) {
        self.path = path
        self.root = root
        self.size = size
        self.mode = mode
        self.modifiedNanoseconds = modifiedNanoseconds
        self.inode = inode
        self.changedNanoseconds = changedNanoseconds
    }

    public init(path: String, root: String, size: Int64, mode: UInt32, modified: Date) {
        self.init(
            path: path, root: root, size: size, mode: mode,
            modifiedNanoseconds: Int64((modified.timeIntervalSince1970 * 1e9).rounded()))
    }
}

/// Walks a folder without following symbolic links.
public enum FolderScanner {
    public struct Result: Sendable {
        public var files: [ScannedFile]
        /// Empty folders, relative; they carry no data but are part of the tree.
        public var emptyDirectories: [String]
        /// Symbolic links, sockets and devices, which the archive does not keep.
        public var skipped: [String]
    }

    public static func scan(_ root: String) throws -> Result {
        var result = Result(files: [], emptyDirectories: [], skipped: [])
        let st = try FileIO.status(root)
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError.io(operation: "scan", path: root, message: "not a directory")
        }
        try walk(root, relative: "", root: root, into: &result)
        result.files.sort { $0.path < $1.path }
        return result
    }

    private static func walk(_ directory: String, relative: String, root: String, into result: inout Result) throws {
        let names = try FileIO.list(directory).sorted()
        if names.isEmpty && !relative.isEmpty { result.emptyDirectories.append(relative) }
        for name in names {
            let absolute = directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(absolute, &st) == 0 else { throw FileIO.error("lstat", absolute) }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(absolute, relative: path, root: root, into: &result)
            case S_IFREG:
                result.files.append(ScannedFile(
                    path: path, root: root, size: Int64(st.st_size),
                    mode: UInt32(st.st_mode & 0o7777), modifiedNanoseconds: FileIO.modificationNanoseconds(st),
                    inode: UInt64(st.st_ino), changedNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)))
            default:
                result.skipped.append(path)
            }
        }
    }
}
