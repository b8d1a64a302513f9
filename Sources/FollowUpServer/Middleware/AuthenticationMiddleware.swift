import Catalog
import Hummingbird

/// Resolves `Authorization: Bearer <token>` to an `Identity` through the
/// catalog (which compares SHA-256 hashes only). No token or an unknown one is
/// a 401 before any handler runs.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let catalog: Catalog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              case let secret = String(header.dropFirst("Bearer ".count)), !secret.isEmpty, secret.utf8.count <= 256,
              let token = try await catalog.authenticate(secret: secret)
        else { throw APIError.unauthorized }
        var context = context
        context.identity = Identity(token: token)
        context.logger[metadataKey: "token_id"] = "\(token.id)"
        return try await next(request, context)
    }
}
