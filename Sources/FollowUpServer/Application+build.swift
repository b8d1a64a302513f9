import Catalog
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The server's version, reported by `/healthz`.
public let followUpVersion = "0.1.0"

/// Builds the HTTP application over an opened storage: the router with its
/// middleware and controllers, bound to the configured address.
/// `onListening` gets the bound port (useful with port 0).
public func buildApplication(
    storage: Storage, configuration: FollowUpConfiguration, logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let registry = PrometheusCollectorRegistry()
    return Application(
        router: buildRouter(storage: storage, registry: registry),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "followup"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The routes: `/healthz` and `/metrics` open, everything under `/v1`
/// authenticated by bearer token.
func buildRouter(storage: Storage, registry: PrometheusCollectorRegistry) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        ErrorMiddleware()
        HTTPMetricsMiddleware(registry: registry)
        RequestLimitsMiddleware()
        LogRequestsMiddleware(.info)
    }
    HealthController(catalog: storage.catalog, version: followUpVersion).addRoutes(to: router)
    MetricsController(catalog: storage.catalog, registry: registry).addRoutes(to: router)

    let api = router.group("v1").add(middleware: AuthenticationMiddleware(catalog: storage.catalog))
    ClientController(catalog: storage.catalog).addRoutes(to: api.group("clients"))
    ProjectController(catalog: storage.catalog).addRoutes(to: api.group("clients/:client/projects"))
    ChangeController(catalog: storage.catalog).addRoutes(to: api.group("clients/:client/changes"))
    ExportController(storage: storage).addRoutes(to: api.group("clients/:client"))
    TokenController(catalog: storage.catalog).addRoutes(to: api.group("tokens"))

    // Sync: chunks and commits.
    ChunkController(storage: storage).addRoutes(to: api.group("chunks"))
    CommitController(catalog: storage.catalog, policy: storage.configuration.pricingPolicy)
        .addRoutes(commits: api.group("clients/:client/projects/:project/commits"), files: api.group("clients/:client/projects/:project/files"))

    // The hours ledger.
    let pricing = storage.configuration.pricingPolicy
    QuoteController(catalog: storage.catalog, policy: pricing)
        .addRoutes(clients: api.group("clients/:client/quotes"), quotes: api.group("quotes"))
    InvoiceController(catalog: storage.catalog)
        .addRoutes(clients: api.group("clients/:client/invoices"), invoices: api.group("invoices"))
    LedgerController(catalog: storage.catalog, policy: pricing)
        .addRoutes(hours: api.group("clients/:client/hours"), ledger: api.group("clients/:client/ledger"))
    DisputeController(catalog: storage.catalog, policy: pricing)
        .addRoutes(clients: api.group("clients/:client/disputes"), disputes: api.group("disputes"))
    TicketController(catalog: storage.catalog, support: storage.configuration.supportPolicy)
        .addRoutes(clients: api.group("clients/:client/tickets"), tickets: api.group("tickets"))
    return router
}

/// `followup serve`: opens (on first run, initialises) the storage, serves
/// until SIGTERM or SIGINT, then drains connections and closes the catalog.
/// `onInitialize` receives the first admin token when the storage was created.
public func runServer(
    configuration: FollowUpConfiguration, logger: Logger, onInitialize: @Sendable (String) -> Void,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws {
    let storage: Storage
    if Storage.isInitialized(configuration) {
        storage = try await Storage.open(configuration, logger: logger)
    } else {
        let (created, token) = try await Storage.initialize(configuration, logger: logger)
        onInitialize(token)
        storage = created
    }
    do {
        let app = buildApplication(storage: storage, configuration: configuration, logger: logger, onListening: onListening)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    } catch {
        await storage.close()
        throw error
    }
    await storage.close()
}
