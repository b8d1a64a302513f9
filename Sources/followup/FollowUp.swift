import ArgumentParser
import ContentStore

@main
struct FollowUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "followup",
        abstract: "Follow Up: the agency's archive of client deliverables, hours and sync.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self, AdminCommand.self, ProjectCommand.self, ChangesCommand.self, PushCommand.self, PullCommand.self, ExportCommand.self, ImportCommand.self, BackupCommand.self, RestoreCommand.self,
            QuoteCommand.self, InvoiceCommand.self, HoursCommand.self, LedgerCommand.self, DisputeCommand.self, TicketCommand.self,
            StoreCommand.self, VerifyCommand.self, GCCommand.self,
        ]
    )

    static func main() async {
        MallocTuning.apply()
        await main(nil)
    }
}
