import ArgumentParser
import Foundation
import Logging
import SyncClient

/// `--server` and `--token` for commands that talk to a running server;
/// `FOLLOWUP_SERVER` and `FOLLOWUP_TOKEN` when the flags are absent.
struct RemoteOptions: ParsableArguments {
    @Option(name: .long, help: "Server URL (default: FOLLOWUP_SERVER, else http://127.0.0.1:8080).")
    var server: String?

    @Option(name: .long, help: "Bearer token (default: FOLLOWUP_TOKEN).")
    var token: String?

    func client(logger: Logger) throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let url = server ?? environment["FOLLOWUP_SERVER"] ?? "http://127.0.0.1:8080"
        guard let token = token ?? environment["FOLLOWUP_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: pass --token or set FOLLOWUP_TOKEN")
        }
        return APIClient(endpoint: try ServerEndpoint(url: url, token: token), logger: logger)
    }
}

/// `CLIENT/PROJECT` as typed on the command line.
struct ProjectPath: ExpressibleByArgument {
    var client: String
    var project: String

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        client = String(parts[0])
        project = String(parts[1])
    }

    static var defaultValueDescription: String { "CLIENT/PROJECT" }
}
