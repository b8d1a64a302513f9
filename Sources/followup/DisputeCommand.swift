import ArgumentParser
import Ledger
import SyncProtocol

struct DisputeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispute",
        abstract: "Disputes: a client disputes an hour entry or an invoice; staff resolve them.",
        subcommands: [Open.self, Resolve.self, List.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "open", abstract: "Dispute hour entry ENTRY, or an invoice with --invoice and --amount.")
        @Argument(help: "The client.") var client: String
        @Argument(help: "The hour entry's sequence number (omit with --invoice).") var entry: Int64?
        @Option(help: "An invoice number instead of an hour entry.") var invoice: String?
        @Option(help: "The disputed amount of the invoice, in EUR.") var amount: String?
        @Option(help: "Why.") var reason: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (entry != nil) != (invoice != nil) else { throw ValidationError("dispute either an ENTRY or an --invoice") }
            guard (invoice != nil) == (amount != nil) else { throw ValidationError("--invoice needs --amount, and only it") }
        }

        func run() async throws {
            var cents: Int64?
            if let amount {
                guard let parsed = Cents(euros: amount), parsed > .zero else { throw ValidationError("--amount must be a positive amount in EUR") }
                cents = parsed.rawValue
            }
            let dispute = try await remote.client(logger: try output.logger("followup.dispute")).openDispute(
                client: client, OpenDisputeRequest(entry: entry, invoice: invoice, amountCents: cents, reason: reason))
            if output.json { return try Terminal.printJSON(IDResponse(id: dispute.id)) }
            print("dispute \(dispute.id) opened on \(dispute.subject), worth \(Cents(dispute.valueCents)) EUR")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve a dispute: --justified issues a voucher, --rejected does not.")
        @Argument(help: "The dispute, e.g. D1.") var dispute: String
        @Flag(exclusivity: .exclusive, help: "The outcome.") var outcome: Outcome
        @Option(help: "Why.") var reason: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        enum Outcome: EnumerableFlag { case justified, rejected }

        func run() async throws {
            let resolved = try await remote.client(logger: try output.logger("followup.dispute"))
                .resolveDispute(dispute, ResolveDisputeRequest(justified: outcome == .justified, reason: reason))
            if output.json { return try Terminal.printJSON(resolved) }
            print("dispute \(resolved.id) \(resolved.state)" + (resolved.voucher.map { ": voucher \($0) worth \(Cents(resolved.valueCents)) EUR" } ?? ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's disputes.")
        @Argument(help: "The client.") var client: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let disputes = try await remote.client(logger: try output.logger("followup.dispute")).disputes(client: client)
            if output.json { return try Terminal.printJSON(disputes) }
            for d in disputes { print("\(d.id)\t\(d.subject)\t\(d.state)\t\(Cents(d.valueCents))\t\(d.voucher ?? "")\t\(d.reason)") }
        }
    }
}
