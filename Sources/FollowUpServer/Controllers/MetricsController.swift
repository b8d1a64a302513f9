import Catalog
import Hummingbird
import Prometheus

/// `GET /metrics`: Prometheus text format. The store's size is read at scrape
/// time so it is never stale.
struct MetricsController {
    let catalog: Catalog
    let registry: PrometheusCollectorRegistry

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics", use: metrics)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        let packs = try await catalog.packs()
        registry.makeGauge(name: "followup_store_bytes").set(Double(packs.reduce(Int64(0)) { $0 + $1.size }))
        registry.makeGauge(name: "followup_store_packs").set(Double(packs.count))
        var text: [UInt8] = []
        registry.emit(into: &text)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }
}
