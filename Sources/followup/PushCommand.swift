import ArgumentParser
import ContentStore
import Foundation
import SyncClient
import SyncProtocol

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a folder into a project (staff): only missing chunks travel; files gone from the folder are deleted.")

    @Argument(help: "The folder to push.")
    var directory: String

    @Argument(help: "CLIENT/PROJECT")
    var path: ProjectPath

    @Option(help: "The project phase the files belong to.")
    var phase: String?

    @Option(help: "Log this many minutes with the push (needs --service).")
    var minutes: Int64?

    @Option(help: "The service the minutes were spent on.")
    var service: String?

    @Option(help: "A note for the hour entry.")
    var note: String?

    @Flag(help: "Keep files on the server that are gone from the folder.")
    var noDelete = false

    @Flag(help: "Read and hash every file, even those untouched since the last push of this folder.")
    var rehash = false

    @OptionGroup var remote: RemoteOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a folder")
        }
        guard (minutes == nil) == (service == nil) else { throw ValidationError("--minutes and --service go together") }
        if let minutes, minutes <= 0 { throw ValidationError("--minutes must be positive") }
    }

    func run() async throws {
        let logger = try output.logger("followup.push")
        let pusher = Pusher(
            api: try remote.client(logger: logger), chunker: try Chunker(.standard), logger: logger,
            cacheDirectory: Pusher.defaultCacheDirectory)
        let bar = ProgressBar(label: "push", enabled: !output.json)
        defer { bar.finish() }
        let hours = minutes.map { HourLogRequest(project: path.project, minutes: $0, service: service ?? "", phase: phase, note: note) }
        let summary = try await pusher.push(
            directory: directory, client: path.client, project: path.project, phase: phase, hours: hours,
            deleteMissing: !noDelete, rehash: rehash
        ) { done, total in bar.update(done: done, total: total, bytes: (done, total)) }
        bar.finish()
        if output.json { return try Terminal.printJSON(summary) }
        print("\(summary.files) files (\(summary.hashedFiles) read and hashed): \(summary.written) new or changed, \(summary.deleted) deleted, \(summary.unchanged) unchanged")
        print("uploaded \(Terminal.bytes(summary.uploadedBytes)), deduplicated \(Terminal.bytes(summary.deduplicatedBytes)); feed at \(summary.commit)")
    }
}
