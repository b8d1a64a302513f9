import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A regular file found under a folder.
public struct ScannedFile: Sendable, Hashable {
    /// Relative to the scanned folder, "/"-separated.
    public var path: String
    public var absolutePath: String
    public var size: Int64
    public var mode: UInt32
    public var modified: Date

    public init(path: String, absolutePath: String, size: Int64, mode: UInt32, modified: Date) {
        self.path = path
        self.absolutePath = absolutePath
        self.size = size
        self.mode = mode
        self.modified = modified
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
        try walk(root, relative: "", into: &result)
        result.files.sort { $0.path < $1.path }
        return result
    }

    private static func walk(_ directory: String, relative: String, into result: inout Result) throws {
        let names = try FileIO.list(directory).sorted()
        if names.isEmpty && !relative.isEmpty { result.emptyDirectories.append(relative) }
        for name in names {
            let absolute = directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(absolute, &st) == 0 else { throw FileIO.error("lstat", absolute) }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(absolute, relative: path, into: &result)
            case S_IFREG:
                let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
                result.files.append(ScannedFile(
                    path: path, absolutePath: absolute, size: Int64(st.st_size),
                    mode: UInt32(st.st_mode & 0o7777), modified: modified))
            default:
                result.skipped.append(path)
            }
        }
    }
}
