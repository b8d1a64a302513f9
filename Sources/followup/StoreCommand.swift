import ArgumentParser
import Catalog
import ContentStore
import FollowUpServer
import Foundation

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Diagnostics of the content store.",
        subcommands: [Ingest.self, Snapshots.self, Forget.self, Speed.self]
    )

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Chunk a folder into the store as a snapshot and report the figures.")

        @Argument(help: "The folder to ingest.")
        var directory: String

        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(directory) is not a folder")
            }
        }

        func run() async throws {
            let logger = try output.logger("followup.store")
            let bar = ProgressBar(label: "ingest", enabled: !output.json)
            defer { bar.finish() }
            let result = try await storage.withStorage(logger: logger) { opened in
                try await opened.ingest(directory: directory) { progress in
                    bar.update(
                        done: Int64(progress.files), total: Int64(progress.totalFiles),
                        bytes: (progress.bytes, progress.totalBytes))
                }
            }
            bar.finish()
            let s = result.summary
            if output.json {
                try Terminal.printJSON(IngestOutput(summary: s, snapshot: result.snapshot, skipped: result.skipped.count))
            } else {
                let rate = s.seconds > 0 ? Double(s.bytes) / s.seconds / 1e6 : 0
                print("snapshot \(result.snapshot): \(s.files) files, \(Terminal.bytes(s.bytes)), \(Terminal.bytes(s.newBytes)) new")
                print("\(s.chunks) chunks (\(s.newChunks) new) in \(s.packs) packs, \(String(format: "%.2f", s.seconds)) s, \(String(format: "%.0f", rate)) MB/s")
                if !result.skipped.isEmpty { print("skipped \(result.skipped.count) symbolic links or special files") }
            }
        }
    }

    struct Snapshots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "List the snapshots made by `store ingest`.")

        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let list = try await storage.withStorage(logger: try output.logger("followup.store")) {
                try await $0.catalog.snapshots()
            }
            if output.json { return try Terminal.printJSON(list) }
            for snapshot in list {
                print("\(snapshot.id)\t\(snapshot.created)\t\(snapshot.files) files\t\(Terminal.bytes(snapshot.bytes))\t\(snapshot.source)")
            }
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget",
            abstract: "Forget a snapshot; `followup gc` then reclaims what only it used.")

        @Argument(help: "The snapshot id (see `store snapshots`).")
        var snapshot: Int64

        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await storage.withStorage(logger: try output.logger("followup.store")) {
                try await $0.catalog.deleteSnapshot(snapshot)
            }
            if output.json { try Terminal.printJSON(["forgotten": snapshot]) } else { print("forgot snapshot \(snapshot)") }
        }
    }

    struct Speed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "speed",
            abstract: "Measure chunking and SHA-256 on one core, in memory (compare with `openssl speed -evp sha256`).")

        @Option(help: "MiB of data to process per round.")
        var megabytes = 256

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...4096).contains(megabytes) else { throw ValidationError("--megabytes must be 1-4096") }
        }

        func run() async throws {
            let result = ChunkingBenchmark.run(megabytes: megabytes, chunker: try Chunker(.standard))
            if output.json { return try Terminal.printJSON(result) }
            print("\(result.bytes >> 20) MiB, \(result.chunks) chunks, one core:")
            print("  chunking alone            \(result.chunkMBps) MB/s")
            print("  SHA-256 alone             \(result.sha256MBps) MB/s")
            print("  chunk + SHA-256 per chunk \(result.chunkHashMBps) MB/s (\(Int((result.chunkHashMBps / result.sha256MBps * 100).rounded()))% of SHA-256)")
            print("  ... + whole-file SHA-256  \(result.chunkHashFileMBps) MB/s")
        }
    }
}

/// `store ingest --json`.
struct IngestOutput: Encodable {
    var summary: IngestSummary
    var snapshot: Int64
    var skipped: Int

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(snapshot, forKey: .snapshot)
        try container.encode(skipped, forKey: .skipped)
        let rate = summary.seconds > 0 ? Double(summary.bytes) / summary.seconds / 1e6 : 0
        try container.encode((rate * 10).rounded() / 10, forKey: .mbPerSecond)
    }

    enum Keys: String, CodingKey { case snapshot, skipped, mbPerSecond = "mb_s" }
}
