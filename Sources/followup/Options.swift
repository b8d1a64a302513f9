import ArgumentParser
import FollowUpServer
import Logging

/// Where the data lives: `--config` and `--storage` for every server-side command.
struct StorageOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: config/followup.yaml, or FOLLOWUP_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Storage directory (default: storage.path from the configuration).")
    var storage: String?

    /// The configuration with `--storage` applied.
    func load() async throws -> FollowUpConfiguration {
        var configuration = try await FollowUpConfiguration.load(file: config)
        if let storage {
            guard !storage.isEmpty else { throw ValidationError("--storage must not be empty") }
            configuration.storagePath = storage
        }
        return configuration
    }

    /// Opens the storage, runs `body`, and closes the storage whatever happens.
    func withStorage<T>(logger: Logger, _ body: (Storage) async throws -> T) async throws -> T {
        let storage = try await Storage.open(try await load(), logger: logger)
        do {
            let result = try await body(storage)
            await storage.close()
            return result
        } catch {
            await storage.close()
            throw error
        }
    }
}

/// `--json` for scripts: one JSON document on stdout, no progress, no prose.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON and no progress.")
    var json = false

    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    func logger(_ label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        return Terminal.logger(label: label, level: level)
    }
}
