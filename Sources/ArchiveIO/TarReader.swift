import CArchive

/// Reads a tar entry by entry, treating it as hostile input: every path is validated
/// (``TarPath/validate(_:)``), and links, devices, fifos and sockets are refused, so an
/// entry that reaches the caller is a regular file or directory that stays inside the tree.
///
///     var tar = try TarReader(path: "upload.tar")
///     while let entry = try tar.next() {
///         try tar.readData { block in … }   // regular files only; blocks of up to 64 KiB
///     }
///
/// Tar formats: ustar, pax and GNU. Compressed tars (gzip, xz, zstd, bzip2) are read
/// when libarchive has the library built in; a filter that would run an external program
/// is never enabled. Size limits are the caller's: check ``TarEntry/size`` before
/// reading the data.
///
/// `@unchecked Sendable` for the reason given on ``TarWriter``.
public struct TarReader: ~Copyable, @unchecked Sendable {
    private let archive: OpaquePointer
    /// The regular file whose data ``read(into:)`` returns; nil for anything else.
    private var current: (path: String, size: Int64, delivered: Int64)?

    public init(path: String) throws(ArchiveError) {
        archive = try Self.open(describing: path) { archive_read_open_filename($0, path, 64 << 10) }
    }

    /// Reads from an open descriptor, which stays the caller's to close.
    public init(fileDescriptor: Int32) throws(ArchiveError) {
        archive = try Self.open(describing: "file descriptor \(fileDescriptor)") {
            archive_read_open_fd($0, fileDescriptor, 64 << 10)
        }
    }

    deinit {
        archive_read_free(archive)
    }

    /// The next entry, or nil at the end of the archive. Data of the previous entry that was
    /// not read is skipped. A refused entry throws; nothing of it is returned.
    public mutating func next() throws(ArchiveError) -> TarEntry? {
        current = nil
        let found = try withUTF8Locale { () throws(ArchiveError) in try nextAcceptedEntry() }
        if let found, found.kind == .regularFile {
            current = (found.path.string, found.size, 0)
        }
        return found
    }

    private func nextAcceptedEntry() throws(ArchiveError) -> TarEntry? {
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return nil }
            // ARCHIVE_WARN counts as failure too: a header libarchive had to guess at is not trusted.
            guard status == ARCHIVE_OK, let entry else {
                throw .library(entry: nil, message: errorMessage(archive))
            }

            guard let rawPath = Self.pathname(entry) else {
                throw .invalidPath(entry: Self.lossyPathname(entry), violation: .notUTF8)
            }
            let kind = try Self.kind(of: entry, path: rawPath)
            let path: TarPath
            do {
                path = try TarPath.validate(rawPath)
            } catch .empty where kind == .directory && !rawPath.isEmpty {
                continue  // "./", the archive's root itself: nothing to create
            } catch {
                throw .invalidPath(entry: rawPath, violation: error)
            }

            let size = kind == .regularFile ? archive_entry_size(entry) : 0
            guard size >= 0 else {
                throw .sizeMismatch(entry: path.string, declared: size, actual: 0)
            }
            return TarEntry(
                path: path, kind: kind, size: size,
                mode: UInt16(truncatingIfNeeded: archive_entry_perm(entry) & 0o7777),
                mtime: Int64(archive_entry_mtime(entry))
            )
        }
    }

    /// Copies the next bytes of the current regular file into `buffer`; 0 at its end (and
    /// always for a directory). For callers that need to await between blocks.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        guard let file = current, let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        // Sparse files come back with their holes filled with zeros.
        let count = archive_read_data(archive, base, buffer.count)
        guard count >= 0 else {
            throw .library(entry: file.path, message: errorMessage(archive))
        }
        let delivered = file.delivered + Int64(count)
        guard count > 0 || delivered == file.size, delivered <= file.size else {
            throw .sizeMismatch(entry: file.path, declared: file.size, actual: delivered)
        }
        current?.delivered = delivered
        return count
    }

    /// Streams the current regular file's data to `body` in blocks of up to `blockSize`
    /// bytes, through one reused buffer. Errors thrown by `body` are rethrown as is.
    public mutating func readData(blockSize: Int = 64 << 10, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(blockSize, 1), alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    // MARK: - libarchive

    private static func open(
        describing target: String, _ open: (OpaquePointer) -> Int32
    ) throws(ArchiveError) -> OpaquePointer {
        try withUTF8Locale { () throws(ArchiveError) -> OpaquePointer in
            guard let archive = archive_read_new() else {
                throw .library(entry: nil, message: "cannot allocate a tar reader")
            }
            guard archive_read_support_format_tar(archive) == ARCHIVE_OK else {
                let message = errorMessage(archive)
                archive_read_free(archive)
                throw .library(entry: nil, message: message)
            }
            // Only filters whose library is linked in (else libarchive would spawn a program).
            let filters: [(version: UnsafePointer<CChar>?, enable: (OpaquePointer) -> Int32)] = [
                (archive_zlib_version(), { archive_read_support_filter_gzip($0) }),
                (archive_liblzma_version(), { archive_read_support_filter_xz($0) }),
                (archive_libzstd_version(), { archive_read_support_filter_zstd($0) }),
                (archive_bzlib_version(), { archive_read_support_filter_bzip2($0) }),
            ]
            for filter in filters where filter.version != nil {
                guard filter.enable(archive) == ARCHIVE_OK else {
                    let message = errorMessage(archive)
                    archive_read_free(archive)
                    throw .library(entry: nil, message: message)
                }
            }
            guard open(archive) == ARCHIVE_OK else {
                let message = errorMessage(archive)
                archive_read_free(archive)
                throw .cannotOpen(path: target, message: message)
            }
            return archive
        }
    }

    /// The entry's path as UTF-8, or nil when it is not valid UTF-8.
    private static func pathname(_ entry: OpaquePointer) -> String? {
        guard let utf8 = archive_entry_pathname_utf8(entry) else { return nil }
        return String(validatingCString: utf8)
    }

    /// The path with invalid bytes replaced, for the error message only.
    private static func lossyPathname(_ entry: OpaquePointer) -> String {
        archive_entry_pathname(entry).map { String(cString: $0) } ?? "?"
    }

    private static func kind(of entry: OpaquePointer, path: String) throws(ArchiveError) -> TarEntry.Kind {
        // A hard link's file type can read as regular; its link target is what gives it away.
        if archive_entry_hardlink(entry) != nil {
            throw .unsupportedEntry(entry: path, type: .hardLink)
        }
        let type = UInt32(archive_entry_filetype(entry)) & FileTypeBits.mask
        switch type {
        case FileTypeBits.regular: return .regularFile
        case FileTypeBits.directory: return .directory
        case FileTypeBits.symbolicLink: throw .unsupportedEntry(entry: path, type: .symbolicLink)
        case FileTypeBits.characterDevice: throw .unsupportedEntry(entry: path, type: .characterDevice)
        case FileTypeBits.blockDevice: throw .unsupportedEntry(entry: path, type: .blockDevice)
        case FileTypeBits.fifo: throw .unsupportedEntry(entry: path, type: .fifo)
        case FileTypeBits.socket: throw .unsupportedEntry(entry: path, type: .socket)
        default: throw .unsupportedEntry(entry: path, type: .unknown(type))
        }
    }
}
