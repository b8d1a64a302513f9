import ArgumentParser
import Foundation
import Ledger
import SyncClient
import SyncProtocol

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "A client's hours: credited, used and remaining per project and phase, and the entries.")

    @Argument(help: "CLIENT or CLIENT/PROJECT")
    var target: String

    @Flag(help: "The entries as CSV (for spreadsheets).")
    var csv = false

    @OptionGroup var remote: RemoteOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
        guard let client = parts.first, !client.isEmpty else { throw ValidationError("give CLIENT or CLIENT/PROJECT") }
        let ledger = try await remote.client(logger: try output.logger("followup.ledger")).ledger(client: client, project: parts.count > 1 ? parts[1] : nil)
        if output.json { return try Terminal.printJSON(ledger) }
        if csv { return print(LedgerCSV.render(ledger.entries), terminator: "") }
        print("project\tcredited\tused\tremaining")
        for project in ledger.projects {
            print("\(project.project)\t\(Minutes(project.creditedMinutes).hoursAndMinutes)\t\(Minutes(project.usedMinutes).hoursAndMinutes)\t\(Minutes(project.remainingMinutes).hoursAndMinutes)")
            for (phase, used) in project.phases.sorted(by: { $0.key < $1.key }) {
                print("  \(phase.isEmpty ? "(no phase)" : phase)\t\t\(Minutes(used).hoursAndMinutes)")
            }
        }
        if !ledger.entries.isEmpty { print("") }
        for entry in ledger.entries {
            let detail = [entry.service, entry.phase, entry.note, entry.reference].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ")
            print("\(entry.seq)\t\(LedgerCSV.date(entry.time))\t\(entry.project)\t\(entry.kind)\t\(Minutes(entry.minutes).hoursAndMinutes)\t\(detail)")
        }
    }
}
