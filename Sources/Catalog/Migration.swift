import SQLKit

/// A named schema step. Once released a migration is never edited: changes
/// come as new migrations appended to `Catalog.migrations`.
struct Migration: Sendable {
    let name: String
    let apply: @Sendable (any SQLDatabase) async throws -> Void
}

extension Catalog {
    /// Every migration, oldest first.
    static let migrations: [Migration] = [
        Migration(name: "2026-11-27-01-content-store") { db in
            try await db.create(table: "packs")
                .column("name", type: .text, .primaryKey(autoIncrement: false))
                .column("size", type: .bigint, .notNull)
                .column("chunk_count", type: .int, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .run()
            try await db.create(table: "chunks")
                .column("id", type: .blob, .primaryKey(autoIncrement: false))
                .column("pack", type: .text, .notNull)
                .column("pack_offset", type: .bigint, .notNull)
                .column("chunk_length", type: .int, .notNull)
                .column("last_used", type: .bigint, .notNull)
                .run()
            try await db.create(index: "chunks_by_pack").on("chunks").column("pack").run()
        },
        Migration(name: "2026-11-27-02-snapshots") { db in
            try await db.create(table: "snapshots")
                .column("id", type: .bigint, .primaryKey(autoIncrement: true))
                .column("source", type: .text, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .column("file_count", type: .bigint, .notNull)
                .column("byte_count", type: .bigint, .notNull)
                .run()
            try await db.create(table: "snapshot_files")
                .column("snapshot_id", type: .bigint, .notNull, .references("snapshots", "id", onDelete: .cascade))
                .column("path", type: .text, .notNull)
                .column("size", type: .bigint, .notNull)
                .column("mode", type: .int, .notNull)
                .column("mtime_ns", type: .bigint, .notNull)
                .column("sha256", type: .blob, .notNull)
                .column("chunks", type: .blob, .notNull)
                .primaryKey("snapshot_id", "path")
                .run()
        },
        Migration(name: "2026-11-27-03-tokens") { db in
            try await db.create(table: "tokens")
                .column("id", type: .bigint, .primaryKey(autoIncrement: true))
                .column("name", type: .text, .notNull)
                .column("role", type: .text, .notNull)
                .column("client", type: .text)
                .column("token_hash", type: .blob, .notNull, .unique)
                .column("created_at", type: .bigint, .notNull)
                .column("revoked_at", type: .bigint)
                .run()
        },
        Migration(name: "2026-11-27-04-clients-projects") { db in
            // `feed_seq` is the client's change-feed counter: bumping it inside the writing
            // transaction is what makes the feed gap-free (see `Catalog.appendChange`).
            try await db.create(table: "clients")
                .column("slug", type: .text, .primaryKey(autoIncrement: false))
                .column("name", type: .text, .notNull)
                .column("plan", type: .text, .notNull)
                .column("rate_cents", type: .bigint)
                .column("feed_seq", type: .bigint, .notNull, .default(0))
                .column("created_at", type: .bigint, .notNull)
                .run()
            try await db.create(table: "projects")
                .column("client", type: .text, .notNull, .references("clients", "slug"))
                .column("slug", type: .text, .notNull)
                .column("title", type: .text, .notNull)
                .column("allow_overage", type: .custom(SQLRaw("BOOLEAN")), .notNull)
                .column("created_at", type: .bigint, .notNull)
                .primaryKey("client", "slug")
                .run()
            // Phases are rows, not a list in a column: hour entries and file versions refer to them.
            try await db.create(table: "project_phases")
                .column("client", type: .text, .notNull)
                .column("project", type: .text, .notNull)
                .column("position", type: .int, .notNull)
                .column("name", type: .text, .notNull)
                .primaryKey("client", "project", "position")
                .unique("client", "project", "name")
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
        },
        Migration(name: "2026-11-27-05-change-feed") { db in
            // The primary key is also the feed's read path: one client's rows in seq order.
            try await db.create(table: "changes")
                .column("client", type: .text, .notNull, .references("clients", "slug"))
                .column("seq", type: .bigint, .notNull)
                .column("kind", type: .text, .notNull)
                .column("project", type: .text)
                .column("path", type: .text)
                .column("data", type: .text, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .primaryKey("client", "seq")
                .run()
        },
        Migration(name: "2026-11-27-06-idempotency") { db in
            try await db.create(table: "idempotency_keys")
                .column("scope", type: .text, .notNull)
                .column("key", type: .text, .notNull)
                .column("request_hash", type: .blob, .notNull)
                .column("status", type: .int, .notNull)
                .column("body", type: .blob, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .primaryKey("scope", "key")
                .run()
        },
        Migration(name: "2026-11-27-07-file-versions") { db in
            try await db.create(table: "file_versions")
                .column("id", type: .bigint, .primaryKey(autoIncrement: true))
                .column("client", type: .text, .notNull)
                .column("project", type: .text, .notNull)
                .column("path", type: .text, .notNull)
                .column("version", type: .int, .notNull)
                .column("deleted", type: .custom(SQLRaw("BOOLEAN")), .notNull)
                .column("size", type: .bigint, .notNull)
                .column("mode", type: .int, .notNull)
                .column("mtime_ns", type: .bigint, .notNull)
                .column("sha256", type: .blob)
                .column("chunks", type: .blob)
                .column("phase", type: .text)
                .column("hour_entry", type: .bigint)
                .column("author_token", type: .bigint)
                .column("created_at", type: .bigint, .notNull)
                .column("seq", type: .bigint, .notNull)
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
            // Unique per path and version, and the read path for a project's latest versions:
            // (client, project) selects the project, (path, version) finds each path's newest row.
            try await db.create(index: "file_versions_by_path").on("file_versions")
                .column("client").column("project").column("path").column("version")
                .unique()
                .run()
            // From a feed event (client, seq) to the version it announced.
            try await db.create(index: "file_versions_by_seq").on("file_versions")
                .column("client").column("seq")
                .run()
        },
        Migration(name: "2026-11-27-08-quotes-invoices") { db in
            // Catalog-wide id counters ("quote", "dispute", "ticket"): ids Q1, D1, T1, … are
            // drawn in the writing transaction, so a rolled-back step gives its number back.
            try await db.create(table: "counters")
                .column("name", type: .text, .primaryKey(autoIncrement: false))
                .column("value", type: .bigint, .notNull)
                .run()
            // Domain values live as JSON in `data`; the other columns are what is queried.
            // `ordinal` is the id's number, so Q10 sorts after Q9.
            try await db.create(table: "quotes")
                .column("id", type: .text, .primaryKey(autoIncrement: false))
                .column("ordinal", type: .bigint, .notNull, .unique)
                .column("client", type: .text, .notNull)
                .column("project", type: .text, .notNull)
                .column("state", type: .text, .notNull)
                .column("data", type: .text, .notNull)
                .column("evidence", type: .text)
                .column("created_at", type: .bigint, .notNull)
                .column("updated_at", type: .bigint, .notNull)
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
            try await db.create(index: "quotes_by_client").on("quotes").column("client").column("ordinal").run()
            // One row per year: the last invoice number issued that year. Bumped in the
            // transaction that stores the invoice, so numbers have no gaps.
            try await db.create(table: "invoice_sequences")
                .column("year", type: .int, .primaryKey(autoIncrement: false))
                .column("last_sequence", type: .bigint, .notNull)
                .run()
            try await db.create(table: "invoices")
                .column("number", type: .text, .primaryKey(autoIncrement: false))
                .column("year", type: .int, .notNull)
                .column("sequence", type: .bigint, .notNull)
                .column("client", type: .text, .notNull)
                .column("project", type: .text, .notNull)
                .column("quote", type: .text, .notNull, .references("quotes", "id"))
                .column("contract_month", type: .int)
                .column("state", type: .text, .notNull)
                .column("data", type: .text, .notNull)
                .column("issued_at", type: .bigint, .notNull)
                .column("updated_at", type: .bigint, .notNull)
                .unique("year", "sequence")
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
            try await db.create(index: "invoices_by_client").on("invoices").column("client").column("year").column("sequence").run()
            // Each month of a contract is invoiced once (NULL months, one-time quotes, are
            // invoiced once by acceptance).
            try await db.create(index: "invoices_by_quote_month").on("invoices").column("quote").column("contract_month")
                .unique().run()
            try await db.create(table: "contracts")
                .column("quote", type: .text, .primaryKey(autoIncrement: false), .references("quotes", "id"))
                .column("client", type: .text, .notNull)
                .column("project", type: .text, .notNull)
                .column("data", type: .text, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .column("updated_at", type: .bigint, .notNull)
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
        },
        Migration(name: "2026-11-27-09-ledger") { db in
            // The append-only, hash-chained ledger: per client, sequence 1, 2, 3, … and
            // hash = SHA-256(previous hash ‖ canonical bytes of the entry in `data`).
            try await db.create(table: "ledger_entries")
                .column("client", type: .text, .notNull, .references("clients", "slug"))
                .column("sequence", type: .bigint, .notNull)
                .column("project", type: .text, .notNull)
                .column("kind", type: .text, .notNull)
                .column("data", type: .text, .notNull)
                .column("hash", type: .blob, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .primaryKey("client", "sequence")
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
            try await db.create(index: "ledger_entries_by_project").on("ledger_entries")
                .column("client").column("project").column("sequence")
                .run()
            // Each client's chain head, kept apart from the entries: cutting entries off the
            // end of the chain leaves it pointing past them, which `verifyLedgerChains` reports.
            try await db.create(table: "ledger_heads")
                .column("client", type: .text, .primaryKey(autoIncrement: false), .references("clients", "slug"))
                .column("sequence", type: .bigint, .notNull)
                .column("hash", type: .blob, .notNull)
                .run()
        },
        Migration(name: "2026-11-27-10-disputes-vouchers") { db in
            // `subject_kind` "hour-entry" | "invoice", `subject` the entry's sequence or the
            // invoice number as text: finds the disputes of one subject.
            try await db.create(table: "disputes")
                .column("id", type: .text, .primaryKey(autoIncrement: false))
                .column("ordinal", type: .bigint, .notNull, .unique)
                .column("client", type: .text, .notNull)
                .column("project", type: .text, .notNull)
                .column("subject_kind", type: .text, .notNull)
                .column("subject", type: .text, .notNull)
                .column("state", type: .text, .notNull)
                .column("data", type: .text, .notNull)
                .column("opened_at", type: .bigint, .notNull)
                .column("updated_at", type: .bigint, .notNull)
                .foreignKey(["client", "project"], references: "projects", ["client", "slug"])
                .run()
            try await db.create(index: "disputes_by_client").on("disputes").column("client").column("ordinal").run()
            try await db.create(index: "disputes_by_subject").on("disputes")
                .column("client").column("subject_kind").column("subject")
                .run()
            try await db.create(table: "vouchers")
                .column("code", type: .text, .primaryKey(autoIncrement: false))
                .column("client", type: .text, .notNull, .references("clients", "slug"))
                .column("dispute", type: .text, .notNull, .references("disputes", "id"))
                .column("remaining_cents", type: .bigint, .notNull)
                .column("data", type: .text, .notNull)
                .column("issued_at", type: .bigint, .notNull)
                .column("updated_at", type: .bigint, .notNull)
                .run()
            try await db.create(index: "vouchers_by_client").on("vouchers").column("client").column("issued_at").run()
        },
        Migration(name: "2026-11-27-11-tickets") { db in
            // `priority_rank` and `deadline` are the staff queue's order.
            try await db.create(table: "tickets")
                .column("id", type: .text, .primaryKey(autoIncrement: false))
                .column("ordinal", type: .bigint, .notNull, .unique)
                .column("client", type: .text, .notNull, .references("clients", "slug"))
                .column("state", type: .text, .notNull)
                .column("priority_rank", type: .int, .notNull)
                .column("deadline", type: .bigint, .notNull)
                .column("data", type: .text, .notNull)
                .column("opened_at", type: .bigint, .notNull)
                .column("closed_at", type: .bigint)
                .run()
            try await db.create(index: "tickets_by_client").on("tickets").column("client").column("ordinal").run()
            try await db.create(index: "tickets_queue").on("tickets").column("state").column("priority_rank").column("deadline").run()
            try await db.create(table: "ticket_messages")
                .column("ticket", type: .text, .notNull, .references("tickets", "id"))
                .column("position", type: .int, .notNull)
                .column("token_id", type: .bigint, .notNull)
                .column("from_staff", type: .custom(SQLRaw("BOOLEAN")), .notNull)
                .column("body", type: .text, .notNull)
                .column("created_at", type: .bigint, .notNull)
                .primaryKey("ticket", "position")
                .run()
        },
        Migration(name: "2026-11-27-12-contract-months") { db in
            // One row per closed month of a monthly contract, whether or not minutes expired.
            try await db.create(table: "contract_months_closed")
                .column("quote", type: .text, .notNull, .references("quotes", "id"))
                .column("month", type: .int, .notNull)
                .column("expired_minutes", type: .bigint, .notNull)
                .column("closed_at", type: .bigint, .notNull)
                .primaryKey("quote", "month")
                .run()
        },
        Migration(name: "2026-11-27-13-file-chunks") { db in
            // Which chunks each file version references, per client: the fetch authorization
            // for client tokens ("does a file of this client contain this chunk?") is one
            // indexed lookup instead of a scan of every version's chunk list. Filled in the
            // transaction that inserts the version; versions already stored are backfilled.
            try await db.create(table: "file_chunks")
                .column("client", type: .text, .notNull)
                .column("chunk", type: .blob, .notNull)
                .column("version_id", type: .bigint, .notNull, .references("file_versions", "id"))
                .primaryKey("version_id", "chunk")
                .run()
            try await db.create(index: "file_chunks_by_client").on("file_chunks").column("client").column("chunk").run()
            try await Catalog.backfillFileChunks(db)
        },
    ]

    /// Applies the migrations not yet recorded, each in its own transaction.
    func migrate() async throws {
        try await transaction { db in
            try await db.create(table: "schema_migrations")
                .ifNotExists()
                .column("name", type: .text, .primaryKey(autoIncrement: false))
                .column("applied_at", type: .bigint, .notNull)
                .run()
        }
        for migration in Self.migrations {
            try await transaction { db in
                let done = try await db.select().column("name").from("schema_migrations")
                    .where("name", .equal, migration.name).first()
                guard done == nil else { return }
                try await migration.apply(db)
                try await db.insert(into: "schema_migrations")
                    .columns("name", "applied_at")
                    .values(SQLBind(migration.name), SQLBind(Catalog.timestamp(.now)))
                    .run()
                self.logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            }
        }
    }

    /// Names of applied migrations, in order applied.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in
            try await db.select().column("name").from("schema_migrations").orderBy("name").all()
                .map { try $0.decode(column: "name", as: String.self) }
        }
    }
}
