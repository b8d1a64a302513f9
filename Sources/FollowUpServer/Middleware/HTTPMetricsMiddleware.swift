import Hummingbird
import Prometheus

/// Request counts, latency and bytes in and out, per method, route and status,
/// into the Prometheus registry that `/metrics` renders.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(request, context: context, status: (APIError.from(error)?.status ?? .internalServerError).code, responseBytes: nil, started: started)
            throw error
        }
        record(request, context: context, status: response.status.code, responseBytes: response.body.contentLength, started: started)
        return response
    }

    private func record(_ request: Request, context: Context, status: Int, responseBytes: Int?, started: ContinuousClock.Instant) {
        // The route pattern, never the raw path: client names must not become label values.
        let route = context.endpointPath ?? "unmatched"
        let labels = [("method", request.method.rawValue), ("route", route), ("status", String(status))]
        registry.makeCounter(name: "followup_http_requests_total", labels: labels).increment()
        registry.makeDurationHistogram(
            name: "followup_http_request_duration_seconds", labels: [("method", request.method.rawValue), ("route", route)],
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)]
        ).recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        if let length = request.headers[.contentLength].flatMap(Int64.init) {
            registry.makeCounter(name: "followup_http_request_bytes_total").increment(by: length)
        }
        if let responseBytes {
            registry.makeCounter(name: "followup_http_response_bytes_total").increment(by: Int64(responseBytes))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
