import ArgumentParser
import FollowUpServer

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Set up a storage directory and its identities.",
        subcommands: [Init.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
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
