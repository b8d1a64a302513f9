import Hummingbird

/// Refuses requests whose target is absurdly long before any routing or
/// parsing happens. Body size and JSON depth are checked where bodies are read
/// (`JSONBody`).
struct RequestLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    static var maxTargetLength: Int { 2048 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.description.utf8.count <= Self.maxTargetLength else {
            throw APIError(.uriTooLong, "uri_too_long", "the request target is longer than \(Self.maxTargetLength) bytes")
        }
        return try await next(request, context)
    }
}
