import ArgumentParser
import Ledger
import SyncProtocol

struct HoursCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hours",
        abstract: "Hour entries (staff): log time against a project's balance, or reverse an entry.",
        subcommands: [Log.self, Reverse.self])

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "log", abstract: "Log minutes of a service on a project (and phase).")
        @Argument(help: "CLIENT/PROJECT") var path: ProjectPath
        @Option(help: "Minutes worked.") var minutes: Int64
        @Option(help: "The service, e.g. Design.") var service: String
        @Option(help: "The project phase.") var phase: String?
        @Option(help: "What was done.") var note: String?
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard minutes > 0 else { throw ValidationError("--minutes must be positive") }
        }

        func run() async throws {
            let result = try await remote.client(logger: try output.logger("followup.hours")).logHours(
                client: path.client, HourLogRequest(project: path.project, minutes: minutes, service: service, phase: phase, note: note))
            if output.json { return try Terminal.printJSON(IDResponse(id: String(result.id))) }
            var line = "entry \(result.id): \(Minutes(minutes).hoursAndMinutes) h logged; \(Minutes(result.remainingMinutes).hoursAndMinutes) h left on \(result.project)"
            if result.overageMinutes > 0 { line += " (overage \(Minutes(result.overageMinutes).hoursAndMinutes) h)" }
            if !result.alerts.isEmpty { line += "; budget alert at \(result.alerts.map { "\($0)%" }.joined(separator: ", "))" }
            print(line)
        }
    }

    struct Reverse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reverse", abstract: "Reverse a ledger entry (entries are never edited).")
        @Argument(help: "The client.") var client: String
        @Argument(help: "The entry's sequence number.") var entry: Int64
        @Option(help: "Why.") var reason: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let reversal = try await remote.client(logger: try output.logger("followup.hours")).reverse(client: client, entry: entry, reason: reason)
            if output.json { return try Terminal.printJSON(IDResponse(id: String(reversal.seq))) }
            print("entry \(reversal.seq) reverses entry \(entry)")
        }
    }
}
