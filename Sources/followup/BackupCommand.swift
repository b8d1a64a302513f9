import ArgumentParser
import FollowUpServer

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent snapshot of the whole storage to a tar, also while the server runs.",
        discussion: """
            The tar holds the catalog as JSON lines (read in one transaction) and every pack. gc
            waits while it is written. `followup restore` rebuilds a storage from it.
            """)

    @Option(name: .shortAndLong, help: "The tar to write (replaced only once complete).")
    var output: String

    @OptionGroup var storage: StorageOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let bar = ProgressBar(label: "backup", enabled: !options.json)
        defer { bar.finish() }
        let summary = try await storage.withStorage(logger: try options.logger("followup.backup")) { opened in
            try await opened.backup(to: output) { done, total in bar.update(done: done, total: total, bytes: (done, total)) }
        }
        bar.finish()
        if options.json { return try Terminal.printJSON(summary) }
        print("wrote \(output): \(summary.rows) catalog rows in \(summary.tables) tables, \(summary.packs) packs (\(Terminal.bytes(summary.packBytes)))")
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Rebuild a storage from a backup tar into an empty storage folder; all or nothing.")

    @Argument(help: "The backup tar.")
    var file: String

    @OptionGroup var storage: StorageOptions
    @OptionGroup var options: OutputOptions

    func run() async throws {
        let configuration = try await storage.load()
        let summary = try await Storage.restore(from: file, configuration: configuration, logger: try options.logger("followup.restore"))
        if options.json { return try Terminal.printJSON(summary) }
        print("restored \(configuration.storagePath): \(summary.rows) catalog rows, \(summary.packs) packs (\(Terminal.bytes(summary.packBytes))); run `followup verify` to check it")
    }
}
