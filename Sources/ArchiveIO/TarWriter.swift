import CArchive

/// Writes a tar (POSIX pax, restricted: plain ustar headers unless a name or size needs a
/// pax extension) entry by entry, streaming file data so memory stays constant whatever
/// the archive's size.
///
///     var tar = try TarWriter(path: "backup.tar")
///     try tar.addDirectory(path: "site", mtime: now)
///     try tar.addFile(path: "site/logo.svg", size: 5, mtime: now) { file in
///         try file.write(Array("<svg>".utf8))
///     }
///     try tar.finish()
///
/// Only ``finish()`` writes the end-of-archive marker and flushes the last block. A writer
/// dropped without it, or after any error, leaves an unfinished tar, usually cut inside an
/// entry so that readers report it truncated; the caller deletes it (or aborts the
/// response) rather than keep it.
///
/// `@unchecked Sendable`: the libarchive handle is not tied to a thread, and being
/// noncopyable with only mutating or consuming methods, a writer has one user at a time.
public struct TarWriter: ~Copyable, @unchecked Sendable {
    private let archive: OpaquePointer
    private var failed = false
    /// Kept alive for libarchive's callbacks, which hold it unretained.
    private var output: TarOutput?
    /// The file begun by ``beginFile(path:size:mode:mtime:)``.
    private var open: (path: TarPath, sink: TarFileSink)?
    /// Set by a successful ``finish()``: the archive is complete, only to be freed.
    private var closed = false

    /// Creates (or truncates) the tar file at `path`.
    public init(path: String) throws(ArchiveError) {
        archive = try Self.open(describing: path) { archive_write_open_filename($0, path) }
    }

    /// Writes to an open descriptor (a pipe, a socket, a file), which stays the caller's to close.
    public init(fileDescriptor: Int32) throws(ArchiveError) {
        archive = try Self.open(describing: "file descriptor \(fileDescriptor)") {
            archive_write_open_fd($0, fileDescriptor)
        }
    }

    /// Writes into `output`'s sink, for a tar streamed as an HTTP response. The writer is
    /// unblocked, so the sink receives each header and data piece as it is written.
    public init(output: TarOutput) throws(ArchiveError) {
        let context = Unmanaged.passUnretained(output).toOpaque()
        archive = try Self.open(describing: "a stream") {
            // Unblocked: libarchive passes each header and data piece straight through (no
            // copy into a block buffer), and the end is not padded beyond its two records.
            guard archive_write_set_bytes_per_block($0, 0) == ARCHIVE_OK else { return ARCHIVE_FATAL }
            return archive_write_open2($0, context, nil, { _, context, bytes, count in
                guard let context, let bytes else { return -1 }
                let output = Unmanaged<TarOutput>.fromOpaque(context).takeUnretainedValue()
                output.append(UnsafeRawBufferPointer(start: bytes, count: count))
                return count
            }, nil, nil)
        }
        self.output = output
    }

    deinit {
        if closed {
            archive_write_free(archive)
        } else {
            Self.abandon(archive)
        }
    }

    /// Starts a regular file of exactly `size` bytes, whose data follows in ``writeData(_:)``
    /// calls and ends with ``endFile()``: the form for a caller that awaits between pieces.
    public mutating func beginFile(path: String, size: Int64, mode: UInt16 = 0o644, mtime: Int64) throws(ArchiveError) {
        try failingWriter { writer throws(ArchiveError) in
            let tarPath = try Self.validated(path)
            guard size >= 0 else { throw .sizeMismatch(entry: tarPath.string, declared: size, actual: 0) }
            try writer.writeHeader(path: tarPath, type: FileTypeBits.regular, size: size, mode: mode, mtime: mtime)
            writer.open = (tarPath, TarFileSink(archive: writer.archive, entry: tarPath.string, declared: size))
        }
    }

    public mutating func writeData(_ bytes: [UInt8]) throws(ArchiveError) {
        try failingWriter { writer throws(ArchiveError) in
            guard writer.open != nil else { throw .writerFailed }
            try writer.open!.sink.write(bytes)
        }
    }

    public mutating func endFile() throws(ArchiveError) {
        try failingWriter { writer throws(ArchiveError) in
            guard let (path, sink) = writer.open.take() else { throw .writerFailed }
            guard sink.written == sink.declared else {
                throw .sizeMismatch(entry: path.string, declared: sink.declared, actual: sink.written)
            }
            try writer.finishEntry(path)
        }
    }

    /// Adds a directory entry. `mtime` is in seconds since 1970.
    public mutating func addDirectory(path: String, mode: UInt16 = 0o755, mtime: Int64) throws(ArchiveError) {
        try failingWriter { writer throws(ArchiveError) in
            let tarPath = try Self.validated(path)
            try writer.writeHeader(path: tarPath, type: FileTypeBits.directory, size: 0, mode: mode, mtime: mtime)
            try writer.finishEntry(tarPath)
        }
    }

    /// Adds a regular file of exactly `size` bytes, which `contents` writes to the sink it is
    /// given, in as many pieces as it likes. Writing more or fewer than `size` bytes throws
    /// ``ArchiveError/sizeMismatch(entry:declared:actual:)``; an error thrown by `contents`
    /// is rethrown as is. Either way the writer is then failed.
    public mutating func addFile(
        path: String, size: Int64, mode: UInt16 = 0o644, mtime: Int64,
        contents: (inout TarFileSink) throws -> Void
    ) throws {
        guard !failed else { throw ArchiveError.writerFailed }
        do {
            let tarPath = try Self.validated(path)
            guard size >= 0 else { throw ArchiveError.sizeMismatch(entry: tarPath.string, declared: size, actual: 0) }
            try writeHeader(path: tarPath, type: FileTypeBits.regular, size: size, mode: mode, mtime: mtime)
            var sink = TarFileSink(archive: archive, entry: tarPath.string, declared: size)
            try contents(&sink)
            guard sink.written == size else {
                throw ArchiveError.sizeMismatch(entry: tarPath.string, declared: size, actual: sink.written)
            }
            try finishEntry(tarPath)
        } catch {
            failed = true
            throw error
        }
    }

    /// Writes the end-of-archive marker and flushes. Throws ``ArchiveError/writerFailed`` if
    /// an earlier call failed, so a broken archive cannot be finished as if it were whole.
    public consuming func finish() throws(ArchiveError) {
        // On any throw, deinit abandons the archive (no end marker).
        guard !failed, open == nil else { throw .writerFailed }
        guard withUTF8Locale({ archive_write_close(archive) }) == ARCHIVE_OK else {
            throw .library(entry: nil, message: errorMessage(archive))
        }
        closed = true
    }

    // MARK: - libarchive

    private static func open(
        describing target: String, _ open: (OpaquePointer) -> Int32
    ) throws(ArchiveError) -> OpaquePointer {
        try withUTF8Locale { () throws(ArchiveError) -> OpaquePointer in
            guard let archive = archive_write_new() else {
                throw .library(entry: nil, message: "cannot allocate a tar writer")
            }
            guard archive_write_set_format_pax_restricted(archive) == ARCHIVE_OK else {
                let message = errorMessage(archive)
                archive_write_free(archive)
                throw .library(entry: nil, message: message)
            }
            guard open(archive) == ARCHIVE_OK else {
                let message = errorMessage(archive)
                abandon(archive)
                throw .cannotOpen(path: target, message: message)
            }
            return archive
        }
    }

    /// Frees without writing the end-of-archive marker, which `archive_write_free` alone would add.
    private static func abandon(_ archive: OpaquePointer) {
        archive_write_fail(archive)
        archive_write_free(archive)
    }

    private static func validated(_ path: String) throws(ArchiveError) -> TarPath {
        do {
            return try TarPath.validate(path)
        } catch {
            throw .invalidPath(entry: path, violation: error)
        }
    }

    /// Runs `body`, marking the writer failed if it throws.
    private mutating func failingWriter(_ body: (inout TarWriter) throws(ArchiveError) -> Void) throws(ArchiveError) {
        guard !failed else { throw .writerFailed }
        do {
            try body(&self)
        } catch {
            failed = true
            throw error
        }
    }

    private func writeHeader(path: TarPath, type: UInt32, size: Int64, mode: UInt16, mtime: Int64) throws(ArchiveError) {
        try withUTF8Locale { () throws(ArchiveError) in
            guard let entry = archive_entry_new() else {
                throw .library(entry: path.string, message: "cannot allocate an entry")
            }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname_utf8(entry, path.string)
            archive_entry_set_filetype(entry, type)
            archive_entry_set_perm(entry, mode_t(mode & 0o7777))
            archive_entry_set_size(entry, size)
            archive_entry_set_mtime(entry, time_t(mtime), 0)
            guard archive_write_header(archive, entry) == ARCHIVE_OK else {
                throw .library(entry: path.string, message: errorMessage(archive))
            }
        }
    }

    private func finishEntry(_ path: TarPath) throws(ArchiveError) {
        guard withUTF8Locale({ archive_write_finish_entry(archive) }) == ARCHIVE_OK else {
            throw .library(entry: path.string, message: errorMessage(archive))
        }
    }
}

/// Where ``TarWriter/addFile(path:size:mode:mtime:contents:)`` takes a file's bytes from.
/// Valid only inside that call.
public struct TarFileSink {
    private let archive: OpaquePointer
    let entry: String
    let declared: Int64
    /// Bytes written so far.
    public private(set) var written: Int64 = 0

    init(archive: OpaquePointer, entry: String, declared: Int64) {
        self.archive = archive
        self.entry = entry
        self.declared = declared
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        // Checked here because libarchive would silently drop the excess.
        guard Int64(bytes.count) <= declared - written else {
            throw .sizeMismatch(entry: entry, declared: declared, actual: written + Int64(bytes.count))
        }
        var offset = 0
        while offset < bytes.count {
            let count = archive_write_data(archive, base + offset, bytes.count - offset)
            guard count > 0 else {
                throw .library(entry: entry, message: errorMessage(archive))
            }
            offset += count
        }
        written += Int64(bytes.count)
    }

    public mutating func write(_ bytes: [UInt8]) throws(ArchiveError) {
        // `Array.withUnsafeBytes` only rethrows untyped errors; carry ours through a Result.
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(ArchiveError) in try write(buffer) }
        }.get()
    }
}

/// Where a streaming ``TarWriter`` hands the bytes it produces: each header and data
/// piece as it is written, so that a server can append them straight into its own network
/// buffer, with no copy in between.
public final class TarOutput: @unchecked Sendable {
    // @unchecked: the writer calls `sink` from its own (single) caller only.
    private let sink: (UnsafeRawBufferPointer) -> Void

    /// `sink` runs inside the writer's calls and must not call back into the writer.
    public init(sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.sink = sink
    }

    fileprivate func append(_ piece: UnsafeRawBufferPointer) {
        sink(piece)
    }
}
