import ArgumentParser
import SyncProtocol

struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Create and list a client's projects (staff).",
        subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a project with its phases.")

        @Argument(help: "CLIENT/PROJECT")
        var path: ProjectPath

        @Option(help: "The project's title.")
        var title: String

        @Option(name: .customLong("phase"), help: "A phase, in order; repeat for several.")
        var phases: [String] = []

        @Flag(help: "Allow hours beyond the credited balance (flagged as overage).")
        var allowOverage = false

        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let api = try remote.client(logger: try output.logger("followup.project"))
            let project = try await api.createProject(
                client: path.client,
                CreateProjectRequest(slug: path.project, title: title, phases: phases, allowOverage: allowOverage))
            if output.json { return try Terminal.printJSON(project) }
            print("created project \(project.client)/\(project.slug)" + (project.phases.isEmpty ? "" : " with phases \(project.phases.joined(separator: ", "))"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's projects.")

        @Argument(help: "The client.")
        var client: String

        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let projects = try await remote.client(logger: try output.logger("followup.project")).projects(client: client)
            if output.json { return try Terminal.printJSON(projects) }
            for project in projects {
                print("\(project.slug)\t\(project.title)\t\(project.phases.joined(separator: ", "))")
            }
        }
    }
}
