import ArgumentParser
import Foundation
import SyncClient

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Bring a client's folder up to date: only missing chunks travel; files changed here are never overwritten.",
        discussion: """
            The folder holds one subfolder per project, LEDGER.csv, and its sync state in .followup/.
            A file changed both here and on the server keeps your version; the server's goes
            beside it as "NAME (server YYYY-MM-DD HHMM).EXT" and the conflict is reported.
            """)

    @Argument(help: "The client's folder (created if missing).")
    var directory: String

    @Option(help: "The client to pull (needed on a folder's first pull unless the token sees only one).")
    var client: String?

    @Option(help: "Deflate compressible chunks on the wire: auto (not for a server on this machine), always or never.")
    var compress: CompressionChoice = .auto

    @OptionGroup var remote: RemoteOptions
    @OptionGroup var output: OutputOptions

    enum CompressionChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    func validate() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("\(directory) is a file, not a folder")
        }
    }

    func run() async throws {
        let logger = try output.logger("followup.pull")
        let api = try remote.client(logger: logger)
        let compression = switch compress {
        case .auto: Puller.compressionPays(for: api.endpoint.url)
        case .always: true
        case .never: false
        }
        let puller = Puller(api: api, compression: compression, logger: logger)
        let bar = ProgressBar(label: "pull", enabled: !output.json)
        defer { bar.finish() }
        let summary = try await puller.pull(folder: directory, client: client) { step in
            bar.update(
                done: Int64(step.filesDone), total: Int64(step.filesTotal),
                bytes: step.bytesTotal > 0 ? (step.bytesDone, step.bytesTotal) : nil)
        }
        bar.finish()
        if output.json { return try Terminal.printJSON(summary) }
        print("\(summary.filesWritten) files written, \(summary.filesDeleted) deleted; fetched \(Terminal.bytes(summary.fetchedBytes)), reused \(Terminal.bytes(summary.reusedBytes)) from the folder; feed at \(summary.cursor)")
        for conflict in summary.conflicts {
            if let copy = conflict.serverCopy {
                print("conflict: \(conflict.path): \(conflict.reason) (\(copy))")
            } else {
                print("conflict: \(conflict.path): \(conflict.reason)")
            }
        }
    }
}
