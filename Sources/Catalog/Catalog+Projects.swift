import Foundation
import SQLKit

/// A piece of work for a client: its files, quotes, invoices and hours live under it.
public struct Project: Sendable, Hashable, Codable {
    /// The owning client's slug.
    public var client: String
    /// Unique within the client; the project's folder name in a client's sync folder.
    public var slug: String
    public var title: String
    /// The phases hours and files are filed under, in the order given at creation.
    public var phases: [String]
    /// Whether hours may be logged beyond the credited balance (then flagged as overage).
    public var allowOverage: Bool
    public var created: Date
}

extension Catalog {
    /// Creates a project with its phases and appends a "project.state" change
    /// {"state":"created","title":…} to the client's feed, in ONE transaction: a client
    /// never sees the event without the project, nor the project without its event.
    /// `.notFound` if the client does not exist, `.conflict` if the project exists.
    public func createProject(
        client: String, slug: String, title: String, phases: [String] = [], allowOverage: Bool = false, at time: Date = Date()
    ) async throws -> Project {
        try await transaction { db in
            try await Catalog.insertProject(
                db, client: client, slug: slug, title: title, phases: phases, allowOverage: allowOverage, at: time)
        }
    }

    public func project(client: String, slug: String) async throws -> Project? {
        try await read { db in try await Catalog.fetchProject(db, client: client, slug: slug) }
    }

    /// The client's projects ordered by slug, phases in the order given. `.notFound` if
    /// there is no such client, so an API can tell "no projects" from "no client".
    public func projects(client: String) async throws -> [Project] {
        try await read { db in
            guard try await Catalog.fetchClient(db, slug: client) != nil else { throw CatalogError.notFound("no client \(client)") }
            let rows = try await db.select().columns(Catalog.projectColumns).from("projects")
                .where("client", .equal, SQLBind(client)).orderBy("slug").all()
            var phases: [String: [String]] = [:]
            for row in try await db.select().columns("project", "name").from("project_phases")
                .where("client", .equal, SQLBind(client)).orderBy("project").orderBy("position").all() {
                phases[try row.decode(column: "project", as: String.self), default: []].append(try row.decode(column: "name", as: String.self))
            }
            return try rows.map { row in
                try Catalog.project(from: row, phases: phases[try row.decode(column: "slug", as: String.self)] ?? [])
            }
        }
    }

    /// `createProject` on a caller's transaction (see `insertClient`): the project, its
    /// phases and its feed event, committed or rolled back with the caller's other writes.
    public static func insertProject(
        _ db: any SQLDatabase, client: String, slug: String, title: String, phases: [String] = [], allowOverage: Bool = false,
        at time: Date = Date()
    ) async throws -> Project {
        guard isValidSlug(slug) else {
            throw CatalogError.invalid("a project slug is 1 to 63 characters of a-z, 0-9 and -, not starting or ending with -")
        }
        guard isValidLabel(title, maxLength: 200) else {
            throw CatalogError.invalid("a project title is 1 to 200 characters, without control characters")
        }
        for phase in phases where !isValidLabel(phase, maxLength: 100) {
            throw CatalogError.invalid("a phase name is 1 to 100 characters, without control characters")
        }
        guard Set(phases).count == phases.count else { throw CatalogError.invalid("phase names must be unique within a project") }
        guard try await fetchClient(db, slug: client) != nil else { throw CatalogError.notFound("no client \(client)") }
        guard try await db.select().column("slug").from("projects")
            .where("client", .equal, SQLBind(client)).where("slug", .equal, SQLBind(slug)).first() == nil
        else { throw CatalogError.conflict("project \(client)/\(slug) already exists") }

        let now = timestamp(time)
        try await db.insert(into: "projects")
            .columns("client", "slug", "title", "allow_overage", "created_at")
            .values(SQLBind(client), SQLBind(slug), SQLBind(title), SQLBind(allowOverage), SQLBind(now))
            .run()
        if !phases.isEmpty {
            let insert = db.insert(into: "project_phases").columns("client", "project", "position", "name")
            for (position, name) in phases.enumerated() {
                insert.values(SQLBind(client), SQLBind(slug), SQLBind(position), SQLBind(name))
            }
            try await insert.run()
        }
        _ = try await appendChange(
            db, client: client, kind: "project.state", project: slug, path: nil,
            data: try jsonObject(["state": "created", "title": title]), at: now)
        return Project(client: client, slug: slug, title: title, phases: phases, allowOverage: allowOverage, created: date(now))
    }

    /// The project `client/slug` with its phases, read on the given database.
    public static func fetchProject(_ db: any SQLDatabase, client: String, slug: String) async throws -> Project? {
        guard let row = try await db.select().columns(projectColumns).from("projects")
            .where("client", .equal, SQLBind(client)).where("slug", .equal, SQLBind(slug)).first()
        else { return nil }
        let phases = try await db.select().column("name").from("project_phases")
            .where("client", .equal, SQLBind(client)).where("project", .equal, SQLBind(slug)).orderBy("position").all()
            .map { try $0.decode(column: "name", as: String.self) }
        return try project(from: row, phases: phases)
    }

    static let projectColumns = ["client", "slug", "title", "allow_overage", "created_at"]

    static func project(from row: any SQLRow, phases: [String]) throws -> Project {
        Project(
            client: try row.decode(column: "client", as: String.self),
            slug: try row.decode(column: "slug", as: String.self),
            title: try row.decode(column: "title", as: String.self),
            phases: phases,
            allowOverage: try row.decode(column: "allow_overage", as: Bool.self),
            created: date(try row.decode(column: "created_at", as: Int64.self)))
    }
}
