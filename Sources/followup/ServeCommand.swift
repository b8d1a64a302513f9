import ArgumentParser
import Logging
import FollowUpServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP server; initialises the storage (printing the first admin token) on first run.")

    @Option(help: "Listen address (default: server.host, 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (default: server.port, 8080).")
    var port: Int?

    @OptionGroup var storage: StorageOptions

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default: logging.level).")
    var logLevel: String?

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be 1-65535") }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        var configuration = try await storage.load()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level \(logLevel)") }
            configuration.logLevel = level
        }
        let logger = Terminal.logger(label: "followup.server", level: configuration.logLevel)
        let settings = configuration
        try await runServer(
            configuration: settings, logger: logger,
            onInitialize: { token in
                print("Initialised storage in \(settings.storagePath).")
                print("First admin token (shown only this once, keep it safe):")
                print(token)
                Terminal.flush()
            },
            onListening: { port in
                print("Follow Up \(followUpVersion) listening on http://\(settings.host):\(port) (storage: \(settings.storagePath))")
                Terminal.flush()
            })
    }
}

