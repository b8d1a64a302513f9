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
