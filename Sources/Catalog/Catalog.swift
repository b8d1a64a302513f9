import Foundation
import Ledger
import Logging
import NIOPosix
import SQLKit
import SQLiteKit

/// The metadata store: the chunk index, snapshots and tokens now; clients,
/// projects, file versions, the change feed and the ledger as they arrive.
///
/// Callers never write SQL: each method keeps the invariants of the rows it
/// touches, and every multi-row change is one transaction. The schema is owned
/// here and evolves only through named migrations (`Catalog.migrations`).
///
/// Backed by SQLite (`catalog.sqlite`, WAL) through SQLKit, using only SQL that
/// PostgreSQL also accepts, so a PostgreSQL backend can run the same queries.
public final class Catalog: Sendable {
    private let connection: SQLiteConnection
    private let database: any SQLDatabase
    private let gate = AsyncGate()
    let logger: Logger

    private init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        database = connection.sql(queryLogLevel: .trace)
        self.logger = logger
    }

    /// Opens (creating if needed) the SQLite catalog at `path` and runs pending migrations.
    public static func open(path: String, logger: Logger) async throws -> Catalog {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            logger.error("cannot open catalog", metadata: ["path": "\(path)", "error": "\(String(reflecting: error))"])
            throw CatalogError.database("cannot open the catalog at \(path)")
        }
        let catalog = Catalog(connection: connection, logger: logger)
        do {
            // WAL lets readers in other processes work during a write; FULL makes a commit durable.
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON"] {
                try await catalog.database.raw(SQLQueryString(pragma)).run()
            }
            try await catalog.migrate()
        } catch {
            try? await connection.close()
            throw catalog.wrap(error)
        }
        return catalog
    }

    public func close() async {
        await gate.enter()
        try? await connection.close()
        await gate.leave()
    }

    /// Runs `body` alone on the connection, without a transaction (reads).
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await gate.enter()
        do {
            let result = try await body(database)
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw wrap(error)
        }
    }

    /// Runs `body` in one transaction: all of its writes commit, or none.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // IMMEDIATE takes the write lock up front, so a busy database fails at BEGIN, not mid-way.
        let database = self.database
        return try await rawTransaction(begin: "BEGIN IMMEDIATE") { _ in try await body(database) }
    }

    /// A transaction begun with `begin`, serialised with every other use of the
    /// connection; `body` gets the raw SQLite connection, which the few operations that
    /// work on any table without knowing its columns (dump and load) need.
    func rawTransaction<T: Sendable>(begin: String, _ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        await gate.enter()
        do {
            _ = try await connection.query(begin)
            do {
                let result = try await body(connection)
                _ = try await connection.query("COMMIT")
                await gate.leave()
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        } catch {
            await gate.leave()
            throw wrap(error)
        }
    }

    private func wrap(_ error: any Error) -> any Error {
        // Domain refusals (a debit beyond the balance, an overpayment…) are answers, not failures.
        if error is CatalogError || error is LedgerError || error is CancellationError { return error }
        logger.error("catalog query failed", metadata: ["error": "\(String(reflecting: error))"])
        return CatalogError.database("the catalog could not complete the operation")
    }

    /// Times are stored as integer Unix seconds: portable and ordered.
    static func timestamp(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: Double(seconds)) }
}
