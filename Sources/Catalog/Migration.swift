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
