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
        return JSONResponse(bytes: Self.encode(page), status: .ok)
    }

    /// The page as ``ChangesResponse`` JSON (sorted keys), with each event's `data`
    /// spliced in as stored: the catalog wrote it as compact JSON, so decoding and
    /// re-encoding it for every event of a large push would only cost time.
    static func encode(_ page: ChangePage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(page.events.reduce(64) { $0 + $1.data.utf8.count + 128 })
        out.append(contentsOf: #"{"events":["#.utf8)
        for (index, record) in page.events.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"data":"#.utf8)
            out.append(contentsOf: (record.data.isEmpty ? "{}" : record.data).utf8)
            out.append(contentsOf: #","kind":"#.utf8)
            appendString(record.kind, to: &out)
            if let path = record.path {
                out.append(contentsOf: #","path":"#.utf8)
                appendString(path, to: &out)
            }
            if let project = record.project {
                out.append(contentsOf: #","project":"#.utf8)
                appendString(project, to: &out)
            }
            out.append(contentsOf: #","seq":\#(record.seq),"time":\#(Int64(record.created.timeIntervalSince1970))}"#.utf8)
        }
        out.append(contentsOf: #"],"more":\#(page.more),"next":\#(page.next)}"#.utf8)
        return out
    }

    /// A JSON string, escaped as `JSONEncoder` escapes it but for `/`.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        JSONPieces.appendString(value, to: &out, escapingSlashes: false)
    }
}
