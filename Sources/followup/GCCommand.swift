import ArgumentParser
import ContentStore
import FollowUpServer

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete chunks no manifest references, repack mostly-garbage packs, remove orphan packs.")

    @Flag(help: "Report what would be removed and change nothing.")
    var dryRun = false

    @Option(help: "Spare anything younger than this many seconds (default: gc.grace_seconds).")
    var grace: Int?

    @OptionGroup var storage: StorageOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let grace, grace < 0 { throw ValidationError("--grace must not be negative") }
    }

    func run() async throws {
        let report = try await storage.withStorage(logger: try output.logger("followup.gc")) {
            try await $0.collectGarbage(dryRun: dryRun, grace: grace.map { .seconds($0) })
        }
        if output.json { return try Terminal.printJSON(report) }
        let verb = dryRun ? "would remove" : "removed"
        print("\(verb) \(report.removedChunks) unreferenced chunks (\(Terminal.bytes(report.removedBytes)))")
        print("\(verb) \(report.deletedPacks.count) empty packs and \(report.orphanPacks.count) orphan packs; repacked \(report.repackedPacks.count) packs")
        print("\(dryRun ? "would reclaim" : "reclaimed") \(Terminal.bytes(report.reclaimedBytes)); \(report.youngPacks) packs younger than the grace period left alone")
    }
}
