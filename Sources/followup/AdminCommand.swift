import ArgumentParser
import Catalog
import FollowUpServer
import Ledger
import SyncProtocol

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Set up a storage directory, its clients and its tokens.",
        subcommands: [Init.self, ClientCommand.self, TokenCommand.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the storage directory and print the first admin token (shown once).")

        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let logger = try output.logger("followup.admin")
            let configuration = try await storage.load()
            let (opened, token) = try await Storage.initialize(configuration, logger: logger)
            await opened.close()
            if output.json {
                try Terminal.printJSON(["token": token, "storage": configuration.storagePath])
            } else {
                print("Initialised storage in \(configuration.storagePath).")
                print("First admin token (shown only this once, keep it safe):")
                print(token)
            }
        }
    }
}


struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "The agency's clients.",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a client: on --storage directly (also while the server runs), or through --server.")

        @Argument(help: "The client's slug: 1-63 of a-z, 0-9 and '-'.")
        var slug: String

        @Option(help: "The client's name.")
        var name: String

        @Option(help: "none, monthly or one-time.")
        var plan: Plan = .none

        @Option(help: "The client's hourly rate in EUR (default: billing.hourly_rate_cents).")
        var rate: String?

        /// With `--server` the client is added through that server; otherwise on the local storage.
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let rateCents = try rate.map { text in
                guard let cents = Cents(euros: text) else { throw ValidationError("--rate must be an amount in EUR like 60 or 60.50") }
                return cents.rawValue
            }
            let logger = try output.logger("followup.admin")
            let info: ClientInfo
            if remote.server != nil {
                let api = try remote.client(logger: logger)
                info = try await api.createClient(CreateClientRequest(slug: slug, name: name, plan: plan.rawValue, rateCents: rateCents))
            } else {
                let client = try await storage.withStorage(logger: logger) {
                    try await $0.catalog.createClient(slug: slug, name: name, plan: plan, rateCents: rateCents)
                }
                info = ClientInfo(client)
            }
            if output.json { return try Terminal.printJSON(info) }
            print("added client \(info.slug) (\(info.name), plan \(info.plan))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the clients in the local storage.")

        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let clients = try await storage.withStorage(logger: try output.logger("followup.admin")) { try await $0.catalog.clients() }
            if output.json { return try Terminal.printJSON(clients.map(ClientInfo.init)) }
            for client in clients { print("\(client.slug)\t\(client.plan.rawValue)\t\(client.name)") }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Bearer tokens.",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a token on --storage (also while the server runs); the secret is shown once.")

        @Option(help: "A name to recognise the token by.")
        var name: String

        @Option(help: "admin, staff or client.")
        var role: Role

        @Option(help: "The client a client token is bound to.")
        var client: String?

        @OptionGroup var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if role == .client, client == nil { throw ValidationError("a client token needs --client") }
            if role != .client, client != nil { throw ValidationError("--client is only for --role client") }
        }

        func run() async throws {
            let (record, secret) = try await storage.withStorage(logger: try output.logger("followup.admin")) { storage in
                if let client, try await storage.catalog.client(client) == nil {
                    throw ValidationError("no client \(client); add it first with `followup admin client add`")
                }
                return try await storage.catalog.createToken(name: name, role: role, client: client)
            }
            if output.json {
                return try Terminal.printJSON(["token": secret, "id": String(record.id), "role": record.role.rawValue])
            }
            print("\(record.role.rawValue) token \"\(record.name)\"\(record.client.map { " for client \($0)" } ?? "") (shown only this once):")
            print(secret)
        }
    }
}

extension Role: ExpressibleByArgument {}
