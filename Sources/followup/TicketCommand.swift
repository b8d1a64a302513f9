import ArgumentParser
import Foundation
import SyncProtocol

struct TicketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket",
        abstract: "Support tickets: a client opens them; staff reply and close.",
        subcommands: [Open.self, List.self, Reply.self, Close.self])

    static func describe(_ t: TicketInfo) -> String {
        let deadline = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t.deadline)))
        return "\(t.id)\t\(t.client)\t\(t.priority)\t\(t.state)\tfirst response by \(deadline)\t\(t.subject)"
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "open", abstract: "Open a ticket for a client.")
        @Argument(help: "The client.") var client: String
        @Option(help: "The subject.") var subject: String
        @Option(help: "The message.") var body: String = ""
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let ticket = try await remote.client(logger: try output.logger("followup.ticket"))
                .openTicket(client: client, OpenTicketRequest(subject: subject, body: body))
            if output.json { return try Terminal.printJSON(ticket) }
            print(TicketCommand.describe(ticket))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "A client's tickets, or (staff, no client) the whole queue by priority and deadline.")
        @Argument(help: "The client.") var client: String?
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tickets = try await remote.client(logger: try output.logger("followup.ticket")).tickets(client: client)
            if output.json { return try Terminal.printJSON(tickets) }
            for ticket in tickets { print(TicketCommand.describe(ticket)) }
        }
    }

    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reply", abstract: "Reply to a ticket.")
        @Argument(help: "The ticket, e.g. T1.") var ticket: String
        @Option(help: "The message.") var body: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let updated = try await remote.client(logger: try output.logger("followup.ticket")).replyTicket(ticket, body: body)
            if output.json { return try Terminal.printJSON(updated) }
            print(TicketCommand.describe(updated))
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "close", abstract: "Close a ticket (staff).")
        @Argument(help: "The ticket, e.g. T1.") var ticket: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let closed = try await remote.client(logger: try output.logger("followup.ticket")).closeTicket(ticket)
            if output.json { return try Terminal.printJSON(closed) }
            print(TicketCommand.describe(closed))
        }
    }
}
