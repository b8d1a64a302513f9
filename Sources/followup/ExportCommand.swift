import ArgumentParser
import ContentStore
import Foundation
import SyncClient
#if canImport(Glibc)
import Glibc
#endif

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Save a client's (or one project's) files as a tar, now or at a past feed position.",
        discussion: """
            The tar holds LEDGER.csv, followup-manifest.json (versions, hashes, projects, hour
            entries) and <project>/<path> for every file. A file is written whole or not at all
            (a temporary file renamed into place); -o - writes to standard output. The file is
            written with O_DIRECT where the file system allows it, straight from the export's
            buffers to the disk (the page cache is left to other data); --fsync also waits for
            the disk's own cache and the file's metadata (surviving a power cut) before renaming
            it into place.
            """)

    @Argument(help: "CLIENT or CLIENT/PROJECT")
    var target: String

    @Option(name: .shortAndLong, help: "The tar to write, or - for standard output.")
    var output: String

    @Option(help: "Export the files as they were at this change-feed position.")
    var at: Int64?

    @Flag(help: "Wait until the tar is on disk before renaming it into place (as rsync --fsync).")
    var fsync = false

    @OptionGroup var remote: RemoteOptions
    @OptionGroup var options: OutputOptions

    func validate() throws {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("expected CLIENT or CLIENT/PROJECT, got \(target)")
        }
        if let at, at < 0 { throw ValidationError("--at is a feed position ≥ 0") }
        if output == "-" && options.json { throw ValidationError("--json prints a summary on standard output: use -o FILE with it") }
        if output == "-" && fsync { throw ValidationError("--fsync needs -o FILE") }
    }

    static let writeBytes = 1 << 20

    func run() async throws {
        let parts = target.split(separator: "/").map(String.init)
        let api = try remote.client(logger: try options.logger("followup.export"))
        let export = try await api.export(client: parts[0], project: parts.count > 1 ? parts[1] : nil, at: at)
        let bar = ProgressBar(label: "export", enabled: !options.json)
        let total = export.contentBytes ?? 0
        var written: Int64 = 0
        // A file is written beside its name and renamed into place once complete.
        let temporary = output == "-" ? nil : output + ".part-\(UUID().uuidString.prefix(8))"
        let file: DirectFileWriter?
        do { file = try temporary.map { try DirectFileWriter(creating: $0) } } catch { throw CLIError("cannot create the export: \(error)") }
        var sink: any ExportSink = file ?? GatheredOutput(fd: STDOUT_FILENO, name: output, bytes: Self.writeBytes)
        do {
            for try await buffer in export.body {
                try buffer.withUnsafeReadableBytes { try sink.write($0) }
                written += Int64(buffer.readableBytes)
                bar.update(done: min(written, total), total: total, bytes: (min(written, total), total))
            }
            try sink.finish()
            if let temporary, let file {
                if fsync { try FileIO.fsync(file.fd, path: temporary) }
                // close reports a late write error (e.g. a full disk found at delayed allocation).
                try file.close()
                guard rename(temporary, output) == 0 else { throw CLIError("cannot write \(output): \(String(cString: strerror(errno)))") }
            }
        } catch {
            if let temporary { unlink(temporary) }
            throw error
        }
        bar.finish()
        if options.json {
            return try Terminal.printJSON(ExportSummary(file: output, bytes: written, position: export.position))
        }
        if temporary != nil { print("wrote \(output): \(Terminal.bytes(written)), feed position \(export.position.map(String.init) ?? "?")") }
    }

    struct ExportSummary: Encodable {
        var file: String
        var bytes: Int64
        var position: Int64?
    }
}

/// Where an export's bytes go: a file (``DirectFileWriter``) or standard output.
protocol ExportSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
    mutating func finish() throws
}

extension DirectFileWriter: ExportSink {}

/// Standard output, in writes of `bytes`: the response arrives in pieces of tens of KiB.
struct GatheredOutput: ExportSink {
    let fd: Int32
    let name: String
    let bytes: Int
    private var gathered: [UInt8] = []

    init(fd: Int32, name: String, bytes: Int) {
        self.fd = fd
        self.name = name
        self.bytes = bytes
        gathered.reserveCapacity(bytes)
    }

    mutating func write(_ piece: UnsafeRawBufferPointer) throws {
        if gathered.count + piece.count > bytes { try finish() }
        gathered.append(contentsOf: piece)
    }

    mutating func finish() throws {
        try gathered.withUnsafeBytes { raw in try Terminal.writeAll(fd, raw, to: name) }
        gathered.removeAll(keepingCapacity: true)
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Upload a tar's files into a project as one commit (staff); a bad entry refuses the whole tar.",
        discussion: """
            Plain, gzip, xz, zstd or bzip2 tars. Absolute paths, "..", links, devices, duplicate
            names, a file where a folder must be, sizes beyond the archive and truncated archives
            are refused, naming the entry, before anything is sent. Existing files stay.
            """)

    @Argument(help: "The tar to import.")
    var file: String

    @Argument(help: "CLIENT/PROJECT")
    var path: ProjectPath

    @Option(help: "The project phase the files belong to.")
    var phase: String?

    @OptionGroup var remote: RemoteOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("cannot read \(file)") }
    }

    func run() async throws {
        let logger = try output.logger("followup.import")
        let pusher = Pusher(api: try remote.client(logger: logger), chunker: try Chunker(.standard), logger: logger)
        let bar = ProgressBar(label: "import", enabled: !output.json)
        defer { bar.finish() }
        let summary = try await TarImporter(pusher: pusher).importTar(file, client: path.client, project: path.project, phase: phase) {
            done, total in bar.update(done: done, total: total, bytes: (done, total))
        }
        bar.finish()
        if output.json { return try Terminal.printJSON(summary) }
        print("\(summary.files) files: \(summary.written) new or changed, \(summary.unchanged) unchanged")
        print("uploaded \(Terminal.bytes(summary.uploadedBytes)), deduplicated \(Terminal.bytes(summary.deduplicatedBytes)); feed at \(summary.commit)")
    }
}
