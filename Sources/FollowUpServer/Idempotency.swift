import Catalog
import HTTPTypes
import Hummingbird
import SQLKit
import SyncProtocol

/// Mutating routes run through here: the `Idempotency-Key` header is required,
/// and the change commits in one transaction with its recorded response. A
/// retry with the same key and body replays that response and changes nothing;
/// the same key with another body is a 409.
enum Idempotency {
    static var header: HTTPField.Name { HTTPField.Name(IdempotencyHeader.name)! }

    static func respond<Body: Decodable & Sendable, Result: Encodable & Sendable>(
        to request: Request, body: JSONBody<Body>, identity: Identity, catalog: Catalog, status: HTTPResponse.Status = .created,
        perform: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Response {
        try await respond(to: request, requestHash: body.requestHash, identity: identity, catalog: catalog, status: status, perform: perform)
    }

    /// `requestHash`: what the key is bound to (``JSONBody/requestHash``), for a body read otherwise.
    static func respond<Result: Encodable & Sendable>(
        to request: Request, requestHash: [UInt8], identity: Identity, catalog: Catalog, status: HTTPResponse.Status = .created,
        perform: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Response {
        guard let key = request.headers[header] else {
            throw APIError(.badRequest, "idempotency_key_required", "send an \(IdempotencyHeader.name) header (any unique string) with every change, and the same one when you retry")
        }
        let (stored, replayed) = try await catalog.idempotent(
            scope: identity.idempotencyScope, key: key, requestHash: requestHash
        ) { db in
            StoredResponse(status: status.code, body: try jsonBytes(try await perform(db)))
        }
        var response = JSONResponse(bytes: stored.body, status: HTTPResponse.Status(code: stored.status))
        if replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return response
    }
}
