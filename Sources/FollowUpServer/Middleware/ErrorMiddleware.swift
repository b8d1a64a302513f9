import Hummingbird
import Logging

/// Turns every thrown error into the JSON error body with its status; an
/// unexpected error becomes a logged 500 that says nothing of its cause.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let apiError = APIError.from(error) else {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
                return try APIError.internal.response(from: request, context: context)
            }
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
