import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, checked wrappers over the POSIX calls the store needs for durable
/// writes (temp file, fsync, rename, directory fsync). Every failure becomes a
/// `StoreError.io` naming the call and the path.
package enum FileIO {
    package static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> StoreError {
        .io(operation: operation, path: path, message: String(cString: strerror(code)))
    }

    package static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw error("open", path) }
        }
    }

    /// Reads until `buffer` is full or end of file; returns the bytes read.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + total, buffer.count - total)
            if n > 0 { total += n; continue }
            if n == 0 { break }
            if errno != EINTR { throw error("read", path) }
        }
        return total
    }

    /// Reads exactly `buffer.count` bytes at `offset`; a short file is an error.
    package static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws {
        var total = 0
        while total < buffer.count {
            let n = Glibc.pread(fd, buffer.baseAddress! + total, buffer.count - total, off_t(offset) + off_t(total))
            if n > 0 { total += n; continue }
            if n == 0 { throw StoreError.io(operation: "read", path: path, message: "unexpected end of file") }
            if errno != EINTR { throw error("read", path) }
        }
    }

    package static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n >= 0 { done += n; continue }
            if errno != EINTR { throw error("write", path) }
        }
    }

    package static func fsync(_ fd: Int32, path: String) throws {
        if Glibc.fsync(fd) != 0 { throw error("fsync", path) }
    }

    /// Asks the kernel to start writing a range to disk now, without waiting
    /// (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`). Only a hint: the
    /// durable point is still `fsync`, so a missing call or an error is ignored.
    package static func startWriteback(_ fd: Int32, offset: Int64, length: Int64) {
        guard let syncFileRange = SyncFileRange.function else { return }
        _ = syncFileRange(fd, offset, length, 2 /* SYNC_FILE_RANGE_WRITE */)
    }

    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// fsyncs a directory so that a rename or create inside it is durable.
    package static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    package static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw error("rename", to) }
    }

    /// Removes a file; a missing file is not an error.
    package static func unlink(_ path: String) throws {
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw error("unlink", path) }
    }

    /// Creates a directory and its parents; existing ones are fine.
    package static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if Glibc.mkdir(current, 0o755) != 0 && errno != EEXIST { throw error("mkdir", current) }
        }
    }

    package static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    package static func status(_ path: String) throws -> stat {
        var st = stat()
        if stat(path, &st) != 0 { throw error("stat", path) }
        return st
    }

    /// The absolute path of `path` with every link and `..` resolved.
    package static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else { throw error("resolve", path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The status of an open file.
    package static func status(_ fd: Int32, path: String) throws -> stat {
        var st = stat()
        if fstat(fd, &st) != 0 { throw error("stat", path) }
        return st
    }

    /// Whether two statuses of one file show the same contents: same size, modification
    /// and change times (a write moves both times, even within the same second).
    package static func sameContentStatus(_ a: stat, _ b: stat) -> Bool {
        a.st_size == b.st_size && a.st_ino == b.st_ino
            && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec
            && a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec
    }

    /// The status of `path` itself (a link is not followed), or nil if nothing is there.
    package static func linkStatus(_ path: String) throws -> stat? {
        var st = stat()
        if lstat(path, &st) == 0 { return st }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw error("lstat", path)
    }

    /// A status's modification time in nanoseconds since 1970.
    package static func modificationNanoseconds(_ st: stat) -> Int64 {
        Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    /// Names in a directory, without "." and "..".
    package static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes `bytes` to `path` atomically: temp file, fsync, rename, directory fsync.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try writeAtomically(to: path) { emit in try bytes.withUnsafeBytes(emit) }
    }

    /// ``writeAtomically(_:to:)`` for content made a piece at a time (a large file need not
    /// be held whole): `produce` hands each piece, in order, to `emit`.
    package static func writeAtomically(
        to path: String, _ produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let directory = parent(of: path)
        let temp = path + ".tmp-" + SecureRandom.hex(6)
        let fd = try open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        do {
            try produce { piece in try write(fd, piece, path: temp) }
            try fsync(fd, path: temp)
            close(fd)
            try rename(temp, path)
        } catch {
            close(fd)
            try? unlink(temp)
            throw error
        }
        try syncDirectory(directory)
    }

    package static func readAll(_ path: String) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { (raw) in try read(fd, into: raw, path: path) }
            out.append(contentsOf: chunk[0..<n])
            if n < chunk.count { return out }
        }
    }

    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

extension FileIO {
    /// Makes everything written on the file system holding `path` durable, with one
    /// `syncfs` (Linux) instead of an fsync per file: a pull of thousands of small files
    /// waits for the disk once. Falls back to `sync()` where `syncfs` is missing.
    package static func syncFileSystem(_ path: String) throws {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        if let syncfs = SyncFileSystem.function {
            if syncfs(fd) != 0 { throw error("syncfs", path) }
        } else {
            sync()
        }
    }
}

extension FileIO {
    /// Renames `from` to `to` unless something is at `to`: then nothing moves and the
    /// answer is false. One atomic step (`renameat2` with `RENAME_NOREPLACE`) where the
    /// kernel and file system have it, so a file that appears at `to` meanwhile is never
    /// replaced; elsewhere an `lstat`, then the rename.
    package static func renameUnlessExists(_ from: String, _ to: String) throws -> Bool {
        if let renameat2 = RenameNoReplace.function {
            if renameat2(AT_FDCWD, from, AT_FDCWD, to, RenameNoReplace.flag) == 0 { return true }
            if errno == EEXIST { return false }
            // Not supported here (an older kernel, some file systems): the two steps below.
            guard errno == EINVAL || errno == ENOSYS else { throw error("rename", to) }
        }
        if try linkStatus(to) != nil { return false }
        try rename(from, to)
        return true
    }
}

/// `renameat2`, looked up at run time like `syncfs` below (also behind _GNU_SOURCE).
private enum RenameNoReplace {
    typealias Function = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    /// `RENAME_NOREPLACE` of <linux/fs.h>.
    static let flag: UInt32 = 1
    static let function: Function? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}

/// `syncfs`, looked up at run time like `sync_file_range` below.
private enum SyncFileSystem {
    typealias Function = @convention(c) (Int32) -> Int32
    static let function: Function? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}

/// `sync_file_range`, looked up at run time: Glibc's Swift module does not
/// export it (it is behind _GNU_SOURCE), and other systems do not have it.
private enum SyncFileRange {
    typealias Function = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    static let function: Function? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}

extension FileIO {
    /// ``renameUnlessExists(_:_:)`` for many files at once, on up to `threads` threads, each
    /// a contiguous share of `moves` (sorted paths: two threads rarely wait on one folder).
    /// Answers, per move, the status of the file moved, or nil where something was in the
    /// way. On an error the moves already made stay made; the first error is thrown once
    /// every thread has stopped.
    package static func renameUnlessExists(_ moves: [(from: String, to: String)], threads: Int) throws -> [stat?] {
        var statuses = Array<stat?>(repeating: nil, count: moves.count)
        let failure = Mutex<(any Error)?>(nil)
        let shares = max(1, min(threads, moves.count))
        statuses.withUnsafeMutableBufferPointer { buffer in
            // Each share writes only its own slots.
            nonisolated(unsafe) let buffer = buffer
            DispatchQueue.concurrentPerform(iterations: shares) { share in
                for index in moves.count * share / shares ..< moves.count * (share + 1) / shares {
                    guard failure.withLock({ $0 == nil }) else { return }
                    do {
                        let (from, to) = moves[index]
                        guard try renameUnlessExists(from, to) else { continue }
                        guard let status = try linkStatus(to) else { throw error("lstat", to, ENOENT) }
                        buffer[index] = status
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        return
                    }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return statuses
    }
}
