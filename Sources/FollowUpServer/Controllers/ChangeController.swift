import Catalog
import Foundation
import Hummingbird
import SyncProtocol

/// `GET /v1/clients/{client}/changes?since=N&limit=M`: the client's change
/// feed after its cursor. A no-op pull is this one small request.
struct ChangeController {
    let catalog: Catalog

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.parameters.require("client")
        try identity.requireAccess(toClient: client)
        guard let query = ChangesQuery(parsingSince: request.uri.queryParameters["since"].map(String.init),
                                       limit: request.uri.queryParameters["limit"].map(String.init))
        else {
            throw APIError.badRequest("since must be an integer ≥ 0 and limit an integer in 1…\(ChangesQuery.maxLimit)")
        }
        let page = try await catalog.changes(client: client, since: query.since, limit: query.limit)
        let events = page.events.map { record in
            ChangeEvent(
                seq: record.seq, kind: .init(rawValue: record.kind), project: record.project, path: record.path,
                time: Int64(record.created.timeIntervalSince1970),
                data: (try? JSONDecoder().decode(JSONValue.self, from: Data(record.data.utf8))) ?? .object([:]))
        }
        return try JSONResponse(ChangesResponse(events: events, next: page.next, more: page.more))
    }
}
