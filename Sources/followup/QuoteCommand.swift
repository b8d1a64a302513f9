import ArgumentParser
import Ledger
import SyncProtocol

struct QuoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "Quotes: staff create and send them; the client (or staff on its behalf) accepts or rejects.",
        subcommands: [Create.self, Send.self, Accept.self, Reject.self, Expire.self, InvoiceMonth.self, CloseMonth.self, Cancel.self, List.self])

    /// `NAME=HOURS` as typed after `--service`.
    struct Service: ExpressibleByArgument {
        var name: String
        var minutes: Minutes

        init?(argument: String) {
            guard let equals = argument.lastIndex(of: "="), let minutes = Minutes(hours: String(argument[argument.index(after: equals)...])),
                  minutes > .zero
            else { return nil }
            name = String(argument[..<equals])
            self.minutes = minutes
        }

        static var defaultValueDescription: String { "NAME=HOURS" }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Draft a quote: services with their hours (20, 1.5 or 1:30).")

        @Argument(help: "CLIENT/PROJECT")
        var path: ProjectPath

        @Option(name: .customLong("service"), help: "A service and its hours, e.g. \"Design=20\"; repeat for several.")
        var services: [Service] = []

        @Option(help: "none, monthly or one-time (default: the client's plan).")
        var plan: Plan?

        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !services.isEmpty else { throw ValidationError("a quote needs at least one --service NAME=HOURS") }
        }

        func run() async throws {
            let api = try remote.client(logger: try output.logger("followup.quote"))
            let quote = try await api.createQuote(client: path.client, CreateQuoteRequest(
                project: path.project, plan: plan?.rawValue,
                services: services.map { ServiceMinutes(name: $0.name, minutes: $0.minutes.rawValue) }))
            if output.json { return try Terminal.printJSON(IDResponse(id: quote.id)) }
            print("quote \(quote.id) drafted for \(quote.client)/\(quote.project) (\(quote.plan)); send it with `followup quote send \(quote.id)`")
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "send", abstract: "Send a draft quote to the client.")
        @Argument(help: "The quote, e.g. Q1.") var quote: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let sent = try await remote.client(logger: try output.logger("followup.quote")).sendQuote(quote)
            if output.json { return try Terminal.printJSON(sent) }
            print("quote \(sent.id) sent")
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "accept", abstract: "Accept a sent quote; this issues its invoice.")
        @Argument(help: "The quote, e.g. Q1.") var quote: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let accepted = try await remote.client(logger: try output.logger("followup.quote")).acceptQuote(quote)
            if output.json { return try Terminal.printJSON(accepted.invoice) }
            let invoice = accepted.invoice
            print("quote \(accepted.quote.id) accepted; invoice \(invoice.number): net \(Cents(invoice.netCents)), VAT \(Cents(invoice.vatCents)), total \(Cents(invoice.totalCents)) EUR")
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject a sent quote.")
        @Argument(help: "The quote, e.g. Q1.") var quote: String
        @Option(help: "Why.") var reason: String?
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let rejected = try await remote.client(logger: try output.logger("followup.quote")).rejectQuote(quote, reason: reason)
            if output.json { return try Terminal.printJSON(rejected) }
            print("quote \(rejected.id) rejected")
        }
    }

    struct Expire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "expire", abstract: "Mark a sent quote that lapsed as expired (staff).")
        @Argument(help: "The quote, e.g. Q1.") var quote: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let expired = try await remote.client(logger: try output.logger("followup.quote")).expireQuote(quote)
            if output.json { return try Terminal.printJSON(expired) }
            print("quote \(expired.id) expired")
        }
    }

    struct InvoiceMonth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "invoice-month", abstract: "Issue month N's invoice of a monthly contract (staff); month 1 comes with the acceptance.")
        @Argument(help: "The accepted monthly quote, e.g. Q1.") var quote: String
        @Option(help: "The contract month, 2 to 12.") var month: Int
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let invoice = try await remote.client(logger: try output.logger("followup.quote")).invoiceContractMonth(quote: quote, month: month)
            if output.json { return try Terminal.printJSON(invoice) }
            print("invoice \(invoice.number) for month \(month): total \(Cents(invoice.totalCents)) EUR")
        }
    }

    struct CloseMonth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close-month", abstract: "Close an ended contract month (staff): unused minutes expire unless they carry over.")
        @Argument(help: "The accepted monthly quote, e.g. Q1.") var quote: String
        @Option(help: "The contract month, 1 to 12.") var month: Int
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let closed = try await remote.client(logger: try output.logger("followup.quote")).closeContractMonth(quote: quote, month: month)
            if output.json { return try Terminal.printJSON(["quote": closed.quote, "month": String(closed.month), "expired_minutes": String(closed.expiredMinutes)]) }
            print("month \(closed.month) of \(closed.quote) closed; \(Minutes(closed.expiredMinutes).hoursAndMinutes) h expired")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a monthly contract (allowed from its minimum month on).")
        @Argument(help: "The accepted monthly quote, e.g. Q1.") var quote: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let cancelled = try await remote.client(logger: try output.logger("followup.quote")).cancelContract(quote: quote)
            if output.json { return try Terminal.printJSON(["quote": cancelled.quote, "last_month": String(cancelled.lastMonth)]) }
            print("contract of \(cancelled.quote) cancelled; month \(cancelled.lastMonth) is the last")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's quotes.")
        @Argument(help: "The client.") var client: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let quotes = try await remote.client(logger: try output.logger("followup.quote")).quotes(client: client)
            if output.json { return try Terminal.printJSON(quotes) }
            for quote in quotes {
                let hours = Minutes(quote.services.reduce(0) { $0 + $1.minutes }).hoursAndMinutes
                print("\(quote.id)\t\(quote.project)\t\(quote.state)\t\(quote.plan)\t\(hours) h")
            }
        }
    }
}

extension Plan: ExpressibleByArgument {}
