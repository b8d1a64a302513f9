import ArgumentParser
import SyncProtocol

struct ChangesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "Read a client's change feed after a cursor.")

    @Argument(help: "The client.")
    var client: String

    @Option(help: "The last sequence number already seen.")
    var since: Int64 = 0

    @Option(help: "At most this many events.")
    var limit = ChangesQuery.defaultLimit

    @OptionGroup var remote: RemoteOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let query = ChangesQuery(since: since, limit: limit) else {
            throw ValidationError("--since must be ≥ 0 and --limit 1…\(ChangesQuery.maxLimit)")
        }
        let page = try await remote.client(logger: try output.logger("followup.changes")).changes(client: client, query: query)
        if output.json { return try Terminal.printJSON(page) }
        for event in page.events {
            let place = [event.project, event.path].compactMap { $0 }.joined(separator: "/")
            print("\(event.seq)\t\(event.kind.rawValue)\t\(place)")
        }
        print("next \(page.next)\(page.more ? " (more)" : "")")
    }
}
