import Foundation
import Ledger
import SQLKit

extension Catalog {
    // MARK: Instance API: one transaction each

    /// Logs work on a project: the domain decides the debit against the project's balance
    /// (`ProjectBalance.debit` with the project's `allowOverage`); a refused debit throws
    /// `LedgerError.insufficientBalance(remaining:requested:)` unchanged. The entry is appended
    /// to the client's hash chain. Feed: "ledger.entry", then one "budget.alert"
    /// {"threshold_percent","used_minutes","credited_minutes"} per threshold crossed.
    /// `.notFound` for an unknown client or project, `.invalid` for a phase the project
    /// does not have.
    public func logHours(
        client: String, project: String, log: HourLog, alertThresholds: [Percent], at time: Date = Date()
    ) async throws -> (entry: ChainedEntry, balance: ProjectBalance, alerts: [Percent]) {
        try await ledgerTransaction { db in
            try await Catalog.logHours(db, client: client, project: project, log: log, alertThresholds: alertThresholds, at: time)
        }
    }

    /// Appends the entry reversing entry `sequence` of the client's ledger (same project).
    /// The domain refuses an unknown entry (`entryNotFound`), vouchers and reversals
    /// (`notReversible`), a second reversal and a blank reason. Feed: ledger.entry, and a
    /// "budget.alert" per threshold of `alertThresholds` the reversal crosses (reversing a
    /// credit raises the used share).
    public func reverseEntry(
        client: String, sequence: Int64, reason: String, alertThresholds: [Percent] = [], at time: Date = Date()
    ) async throws -> ChainedEntry {
        try await ledgerTransaction { db in
            try await Catalog.reverseEntry(
                db, client: client, sequence: sequence, reason: reason, alertThresholds: alertThresholds, at: time)
        }
    }

    /// The client's ledger in sequence order, or one project's entries of it. `.notFound`
    /// for an unknown client or project.
    public func ledgerEntries(client: String, project: String? = nil) async throws -> [ChainedEntry] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            if let project { _ = try await Catalog.requireProject(db, client: client, project: project) }
            return try await Catalog.fetchLedgerEntries(db, client: client, project: project)
        }
    }

    /// Every project of the client with its balance folded from the ledger (zero balances
    /// included), by project slug. `.notFound` for an unknown client.
    public func balances(client: String) async throws -> [String: ProjectBalance] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            let entries = try await Catalog.fetchLedgerEntries(db, client: client, project: nil).map(\.entry)
            var balances: [String: ProjectBalance] = [:]
            for project in try await Catalog.projectSlugs(db, client: client) { balances[project] = ProjectBalance() }
            for entry in entries { balances[entry.project, default: ProjectBalance()].apply(entry.kind) }
            return balances
        }
    }

    /// Used minutes by project and phase: debits minus their reversals. Every project of the
    /// client is present with every one of its phases (0 when unused); "" holds work logged
    /// without a phase, present once some was logged. `.notFound` for an unknown client.
    public func phaseUsage(client: String) async throws -> [String: [String: Minutes]] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            var usage: [String: [String: Minutes]] = [:]
            for row in try await db.select().columns("slug").from("projects").where("client", .equal, SQLBind(client)).all() {
                usage[try row.decode(column: "slug", as: String.self)] = [:]
            }
            for row in try await db.select().columns("project", "name").from("project_phases")
                .where("client", .equal, SQLBind(client)).all() {
                usage[try row.decode(column: "project", as: String.self), default: [:]][try row.decode(column: "name", as: String.self)] = .zero
            }
            var debits: [Int64: (project: String, phase: String)] = [:]
            for entry in try await Catalog.fetchLedgerEntries(db, client: client, project: nil).map(\.entry) {
                switch entry.kind {
                case .debit(let hours):
                    let phase = hours.phase ?? ""
                    debits[entry.sequence] = (entry.project, phase)
                    usage[entry.project, default: [:]][phase, default: .zero] += hours.minutes
                case .reversal(let reversal) where reversal.reversed == .debit:
                    if let debit = debits[reversal.entry] {
                        usage[debit.project, default: [:]][debit.phase, default: .zero] -= reversal.minutes
                    }
                default:
                    break
                }
            }
            return usage
        }
    }

    /// Checks every client's chain from genesis, in sequence order, against its stored head,
    /// and returns each broken chain's first break by client slug (an empty result: all
    /// chains hold). A row whose `data` no longer decodes counts as a modified entry (a hash
    /// mismatch at its position); a missing head row stands for the empty chain.
    public func verifyLedgerChains() async throws -> [String: ChainBreak] {
        try await read { db in
            var heads: [String: [UInt8]] = [:]
            for row in try await db.select().columns("client", "hash").from("ledger_heads").all() {
                heads[try row.decode(column: "client", as: String.self)] = Array(try row.decode(column: "hash", as: Data.self))
            }
            var chains: [String: [ChainedEntry]] = [:]
            for row in try await db.select().columns(Catalog.ledgerColumns).from("ledger_entries")
                .orderBy("client").orderBy("sequence").all() {
                let client = try row.decode(column: "client", as: String.self)
                chains[client, default: []].append(try Catalog.chainedEntryForVerification(from: row))
            }
            var breaks: [String: ChainBreak] = [:]
            for client in Set(heads.keys).union(chains.keys) {
                if let problem = HashChain.verify(
                    chains[client] ?? [], client: client, head: heads[client] ?? HashChain.genesis, using: Catalog.sha256)
                {
                    breaks[client] = problem
                }
            }
            return breaks
        }
    }

    // MARK: Steps on a caller's transaction (for `idempotent(…)`)

    /// `logHours` on the caller's transaction.
    public static func logHours(
        _ db: any SQLDatabase, client: String, project: String, log: HourLog, alertThresholds: [Percent],
        at time: Date = Date()
    ) async throws -> (entry: ChainedEntry, balance: ProjectBalance, alerts: [Percent]) {
        try await atomically(db) {
            _ = try await requireClient(db, client)
            let owner = try await requireProject(db, client: client, project: project)
            if let phase = log.phase, !owner.phases.contains(phase) {
                throw CatalogError.invalid("project \(client)/\(project) has no phase \(phase)")
            }
            guard isValidText(log.note, maxLength: 2000), isValidText(log.service, maxLength: 200),
                  isValidText(log.staff, maxLength: 200)
            else {
                throw CatalogError.invalid("a service or staff name is at most 200 characters and a note at most 2000, without control characters")
            }
            let history = try await fetchLedgerEntries(db, client: client, project: project).map(\.entry)
            let balance = ProjectBalance(project: project, entries: history)
            let debit = try balance.debit(log, allowOverage: owner.allowOverage, alertThresholds: alertThresholds)
            let now = timestamp(time)
            let chained = try await appendLedgerEntry(db, client: client, project: project, kind: debit.kind, at: now)
            try await appendBudgetAlerts(db, client: client, project: project, alerts: debit.alerts, balance: debit.balance, at: now)
            return (chained, debit.balance, debit.alerts)
        }
    }

    /// `reverseEntry` on the caller's transaction.
    public static func reverseEntry(
        _ db: any SQLDatabase, client: String, sequence: Int64, reason: String, alertThresholds: [Percent] = [],
        at time: Date = Date()
    ) async throws -> ChainedEntry {
        try await atomically(db) {
            _ = try await requireClient(db, client)
            guard isValidText(reason, maxLength: 2000) else {
                throw CatalogError.invalid("a reason is at most 2000 characters, without control characters except newlines")
            }
            // Reversals stay in the project of the entry they reverse, so that project's
            // entries are the whole history the domain needs. No such entry: an empty history,
            // and the domain says `entryNotFound`.
            let project = try await db.select().column("project").from("ledger_entries")
                .where("client", .equal, SQLBind(client)).where("sequence", .equal, SQLBind(sequence)).first()?
                .decode(column: "project", as: String.self)
            var history: [LedgerEntry] = []
            if let project { history = try await fetchLedgerEntries(db, client: client, project: project).map(\.entry) }
            let head = try await ledgerHead(db, client: client)
            let now = timestamp(time)
            let reversal = try LedgerEntry.reversal(
                of: sequence, in: history, reason: reason, sequence: head.sequence + 1, at: UnixTime(now))
            let chained = try await appendLedgerEntry(db, reversal, after: head)
            let before = ProjectBalance(project: reversal.project, entries: history)
            var after = before
            after.apply(reversal.kind)
            try await appendBudgetAlerts(
                db, client: client, project: reversal.project,
                alerts: BudgetAlert.crossed(from: before, to: after, thresholds: alertThresholds), balance: after, at: now)
            return chained
        }
    }

    /// The client's entries (one project's, if given) in sequence order, read on the given database.
    public static func fetchLedgerEntries(_ db: any SQLDatabase, client: String, project: String?) async throws -> [ChainedEntry] {
        let query = db.select().columns(ledgerColumns).from("ledger_entries").where("client", .equal, SQLBind(client))
        if let project { query.where("project", .equal, SQLBind(project)) }
        return try await query.orderBy("sequence").all().map(chainedEntry(from:))
    }

    // MARK: The chain

    /// A client's chain head: the last sequence (0 before the first entry) and its hash
    /// (`HashChain.genesis` before the first entry).
    struct LedgerHead {
        var sequence: Int64
        var hash: [UInt8]
        var stored: Bool
    }

    static func ledgerHead(_ db: any SQLDatabase, client: String) async throws -> LedgerHead {
        guard let row = try await db.select().columns("sequence", "hash").from("ledger_heads")
            .where("client", .equal, SQLBind(client)).first()
        else { return LedgerHead(sequence: 0, hash: HashChain.genesis, stored: false) }
        return LedgerHead(
            sequence: try row.decode(column: "sequence", as: Int64.self),
            hash: Array(try row.decode(column: "hash", as: Data.self)), stored: true)
    }

    /// Appends an entry of `kind` as the client's next one. See ``appendLedgerEntry(_:_:after:)``.
    static func appendLedgerEntry(
        _ db: any SQLDatabase, client: String, project: String, kind: LedgerEntryKind, at now: Int64
    ) async throws -> ChainedEntry {
        let head = try await ledgerHead(db, client: client)
        let entry = LedgerEntry(sequence: head.sequence + 1, client: client, project: project, at: UnixTime(now), kind: kind)
        return try await appendLedgerEntry(db, entry, after: head)
    }

    /// Chains `entry` after the head read in this transaction, stores it, moves the head and
    /// announces it ("ledger.entry"). The head only moves from the value read, so two
    /// writers cannot both append sequence n (on SQLite the write lock already orders them).
    static func appendLedgerEntry(_ db: any SQLDatabase, _ entry: LedgerEntry, after head: LedgerHead) async throws -> ChainedEntry {
        guard entry.sequence == head.sequence + 1 else {
            throw CatalogError.conflict("ledger entry \(entry.sequence) does not follow \(head.sequence) of client \(entry.client)")
        }
        let hash = HashChain.link(entry, after: head.hash, using: sha256)
        try await db.insert(into: "ledger_entries")
            .columns("client", "sequence", "project", "kind", "data", "hash", "created_at")
            .values(
                SQLBind(entry.client), SQLBind(entry.sequence), SQLBind(entry.project), SQLBind(entry.kind.name),
                SQLBind(try storedJSON(entry)), SQLBind(Data(hash)), SQLBind(entry.at.rawValue))
            .run()
        if head.stored {
            guard try await db.update("ledger_heads")
                .set("sequence", to: SQLBind(entry.sequence))
                .set("hash", to: SQLBind(Data(hash)))
                .where("client", .equal, SQLBind(entry.client))
                .where("sequence", .equal, SQLBind(head.sequence))
                .returning("client")
                .first() != nil
            else { throw CatalogError.conflict("the ledger of client \(entry.client) moved on; try again") }
        } else {
            try await db.insert(into: "ledger_heads").columns("client", "sequence", "hash")
                .values(SQLBind(entry.client), SQLBind(entry.sequence), SQLBind(Data(hash))).run()
        }
        let chained = ChainedEntry(entry: entry, hash: hash)
        _ = try await appendChange(
            db, client: entry.client, kind: "ledger.entry", project: entry.project, path: nil,
            data: try jsonObject(LedgerEntryChange(chained)), at: entry.at.rawValue)
        return chained
    }

    /// One "budget.alert" per crossed threshold, ascending.
    static func appendBudgetAlerts(
        _ db: any SQLDatabase, client: String, project: String, alerts: [Percent], balance: ProjectBalance, at now: Int64
    ) async throws {
        struct BudgetAlertChange: Encodable {
            var thresholdPercent: Int64
            var usedMinutes: Int64
            var creditedMinutes: Int64

            enum CodingKeys: String, CodingKey {
                case thresholdPercent = "threshold_percent"
                case usedMinutes = "used_minutes"
                case creditedMinutes = "credited_minutes"
            }
        }
        for threshold in alerts {
            _ = try await appendChange(
                db, client: client, kind: "budget.alert", project: project, path: nil,
                data: try jsonObject(BudgetAlertChange(
                    thresholdPercent: threshold.rawValue, usedMinutes: balance.used.rawValue,
                    creditedMinutes: balance.credited.rawValue)),
                at: now)
        }
    }

    /// The `data` of a "ledger.entry" change: the entry flattened, so a client can show it
    /// (and add it to LEDGER.csv) from the feed alone. Fields absent for a kind are omitted.
    struct LedgerEntryChange: Encodable {
        var sequence: Int64
        var kind: String
        var at: Int64
        var minutes: Int64?
        var amountCents: Int64?
        var invoice: String?
        var service: String?
        var phase: String?
        var note: String?
        var staff: String?
        var overageMinutes: Int64?
        var contractMonth: Int?
        var reverses: Int64?
        var reversed: String?
        var reason: String?
        var code: String?
        var dispute: String?
        var hash: String

        enum CodingKeys: String, CodingKey {
            case sequence, kind, at, minutes, invoice, service, phase, note, staff, reverses, reversed, reason, code, dispute, hash
            case amountCents = "amount_cents"
            case overageMinutes = "overage_minutes"
            case contractMonth = "contract_month"
        }

        init(_ chained: ChainedEntry) {
            let entry = chained.entry
            sequence = entry.sequence
            kind = entry.kind.name
            at = entry.at.rawValue
            hash = chained.hash.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            switch entry.kind {
            case .credit(let credited, let number):
                minutes = credited.rawValue
                invoice = number.description
            case .debit(let hours):
                minutes = hours.minutes.rawValue
                service = hours.service
                phase = hours.phase
                note = hours.note
                staff = hours.staff
                overageMinutes = hours.overage.rawValue
            case .expiry(let expired, let month):
                minutes = expired.rawValue
                contractMonth = month
            case .reversal(let reversal):
                minutes = reversal.minutes.rawValue
                reverses = reversal.entry
                reversed = reversal.reversed.rawValue
                reason = reversal.reason
            case .voucherIssued(let voucher, let amount, let from):
                code = voucher
                amountCents = amount.rawValue
                dispute = from
            case .voucherApplied(let voucher, let amount, let number):
                code = voucher
                amountCents = amount.rawValue
                invoice = number.description
            }
        }
    }

    // MARK: Rows

    static let ledgerColumns = ["client", "sequence", "project", "data", "hash", "created_at"]

    static func chainedEntry(from row: any SQLRow) throws -> ChainedEntry {
        let entry = try decodeStored(LedgerEntry.self, from: try row.decode(column: "data", as: String.self), what: "ledger entry")
        return ChainedEntry(entry: entry, hash: Array(try row.decode(column: "hash", as: Data.self)))
    }

    /// As ``chainedEntry(from:)``, but a row whose data no longer decodes becomes a stand-in
    /// entry with the row's own sequence and client, which cannot hash to the stored hash:
    /// verification then reports a hash mismatch at exactly that row instead of failing.
    static func chainedEntryForVerification(from row: any SQLRow) throws -> ChainedEntry {
        if let chained = try? chainedEntry(from: row) { return chained }
        let standIn = LedgerEntry(
            sequence: try row.decode(column: "sequence", as: Int64.self),
            client: try row.decode(column: "client", as: String.self),
            project: try row.decode(column: "project", as: String.self),
            at: UnixTime(try row.decode(column: "created_at", as: Int64.self)),
            kind: .expiry(minutes: .zero, contractMonth: 0))
        return ChainedEntry(entry: standIn, hash: Array(try row.decode(column: "hash", as: Data.self)))
    }

    static func projectSlugs(_ db: any SQLDatabase, client: String) async throws -> [String] {
        try await db.select().column("slug").from("projects").where("client", .equal, SQLBind(client)).orderBy("slug").all()
            .map { try $0.decode(column: "slug", as: String.self) }
    }

    // MARK: Test support

    /// Rewrites a ledger row's stored `data` behind the catalog's back, as an attacker with
    /// database access could. Tests only: it is how `verifyLedgerChains` is shown to catch it.
    func tamperWithLedgerEntryForTesting(client: String, sequence: Int64, data: @escaping @Sendable (String) -> String) async throws {
        try await transaction { db in
            guard let row = try await db.select().column("data").from("ledger_entries")
                .where("client", .equal, SQLBind(client)).where("sequence", .equal, SQLBind(sequence)).first()
            else { throw CatalogError.notFound("no ledger entry \(client)#\(sequence)") }
            try await db.update("ledger_entries")
                .set("data", to: SQLBind(data(try row.decode(column: "data", as: String.self))))
                .where("client", .equal, SQLBind(client)).where("sequence", .equal, SQLBind(sequence))
                .run()
        }
    }

    /// Deletes a ledger row behind the catalog's back. Tests only.
    func deleteLedgerEntryForTesting(client: String, sequence: Int64) async throws {
        try await transaction { db in
            try await db.delete(from: "ledger_entries")
                .where("client", .equal, SQLBind(client)).where("sequence", .equal, SQLBind(sequence))
                .run()
        }
    }
}
