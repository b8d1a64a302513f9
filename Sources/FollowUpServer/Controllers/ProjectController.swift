import Catalog
import Hummingbird
import SyncProtocol

/// `/v1/clients/{client}/projects`: staff create projects with their phases;
/// the client reads its own.
struct ProjectController {
    let catalog: Catalog

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
            .get(use: list)
            .get(":project", use: show)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.parameters.require("client")
        // Access first: another client's token learns nothing, not even "forbidden".
        try identity.requireAccess(toClient: client)
        try identity.require(.admin, .staff)
        let body = try await JSONBody<CreateProjectRequest>(request, context: context)
        let input = body.value
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            ProjectInfo(try await Catalog.insertProject(
                db, client: client, slug: input.slug, title: input.title, phases: input.phases ?? [],
                allowOverage: input.allowOverage ?? false))
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.parameters.require("client")
        try identity.requireAccess(toClient: client)
        guard try await catalog.client(client) != nil else { throw APIError.notFound("no client \(client)") }
        return try JSONResponse(try await catalog.projects(client: client).map(ProjectInfo.init))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.parameters.require("client")
        let slug = try context.parameters.require("project")
        try identity.requireAccess(toClient: client)
        guard let project = try await catalog.project(client: client, slug: slug) else {
            throw APIError.notFound("no project \(client)/\(slug)")
        }
        return try JSONResponse(ProjectInfo(project))
    }
}

extension ProjectInfo {
    /// The API's view of a catalog project.
    public init(_ project: Project) {
        self.init(
            client: project.client, slug: project.slug, title: project.title, phases: project.phases,
            allowOverage: project.allowOverage, created: Int64(project.created.timeIntervalSince1970))
    }
}
