import Catalog
import Hummingbird
import SyncProtocol

/// `GET /healthz`: 200 when the catalog answers, 503 when it does not.
struct HealthController {
    let catalog: Catalog
    let version: String

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz", use: health)
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            _ = try await catalog.adminTokenCount()
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "unavailable", "the catalog database is not answering")
        }
        return try JSONResponse(HealthResponse(status: "ok", version: version))
    }
}
