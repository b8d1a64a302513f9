import Catalog
import Hummingbird
import Ledger
import SyncProtocol

/// The hours ledger of a client: staff log and reverse hours; everyone who
/// may see the client reads balances and entries.
struct LedgerController {
    let catalog: Catalog
    let policy: PricingPolicy

    func addRoutes(hours: RouterGroup<AppRequestContext>, ledger: RouterGroup<AppRequestContext>) {
        hours.post(use: log)
        ledger.get(use: show)
            .post(":entry/reverse", use: reverse)
    }

    @Sendable func log(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.accessibleClient()
        try identity.require(.admin, .staff)
        let body = try await JSONBody<HourLogRequest>(request, context: context)
        let input = body.value
        let hourLog = HourLog(minutes: Minutes(input.minutes), service: input.service, phase: input.phase, note: input.note ?? "", staff: identity.token.name)
        let thresholds = policy.alertThresholds
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            let (chained, balance, alerts) = try await Catalog.logHours(db, client: client, project: input.project, log: hourLog, alertThresholds: thresholds)
            var overage: Int64 = 0
            if case let .debit(hours) = chained.entry.kind { overage = hours.overage.rawValue }
            return EntryResult(
                id: chained.entry.sequence, project: input.project, remainingMinutes: balance.remaining.rawValue,
                overageMinutes: overage, alerts: alerts.map(\.rawValue))
        }
    }

    @Sendable func reverse(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let client = try context.accessibleClient()
        try identity.require(.admin, .staff)
        guard let sequence = Int64(try context.parameters.require("entry")) else { throw APIError.badRequest("the entry is its sequence number") }
        let body = try await JSONBody<ReasonRequest>(request, context: context)
        guard let reason = body.value.reason else { throw APIError.badRequest("a reversal needs a reason") }
        return try await Idempotency.respond(to: request, body: body, identity: identity, catalog: catalog) { db in
            LedgerEntryInfo(try await Catalog.reverseEntry(db, client: client, sequence: sequence, reason: reason))
        }
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        let project = request.uri.queryParameters["project"].map(String.init)
        guard try await catalog.client(client) != nil else { throw APIError.notFound("no client \(client)") }
        let balances = try await catalog.balances(client: client)
        let phases = try await catalog.phaseUsage(client: client)
        let projects = balances.keys.sorted().filter { project == nil || $0 == project }.map { slug in
            let balance = balances[slug]!
            return ProjectHours(
                project: slug, creditedMinutes: balance.credited.rawValue, usedMinutes: balance.used.rawValue,
                remainingMinutes: balance.remaining.rawValue, phases: (phases[slug] ?? [:]).mapValues(\.rawValue))
        }
        let entries = try await catalog.ledgerEntries(client: client, project: project).map(LedgerEntryInfo.init)
        return try JSONResponse(LedgerResponse(projects: projects, entries: entries))
    }
}
