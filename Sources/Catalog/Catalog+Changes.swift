import Foundation
import SQLKit

/// A change-feed row: one visible change for a client (a file version, a ledger entry,
/// a project/quote/invoice/ticket state change). Clients replay these in `seq` order.
public struct ChangeRecord: Sendable, Hashable {
    public var client: String
    /// Per client: 1, 2, 3, … with no gaps, in commit order.
    public var seq: Int64
    /// What changed, e.g. "project.state", "file.put" (SyncProtocol's `ChangeEvent.Kind`).
    public var kind: String
    public var project: String?
    public var path: String?
    /// The kind's details: a JSON object as text, "{}" when empty. Kept as text so the
    /// catalog need not know every kind's shape; the server passes it through.
    public var data: String
    public var created: Date
}

/// One page of a client's feed.
public struct ChangePage: Sendable, Hashable {
    /// Ascending by `seq`.
    public var events: [ChangeRecord]
    /// The cursor for the next request: the last `seq` returned, or `since` if none.
    public var next: Int64
    /// Whether changes after `next` exist already.
    public var more: Bool
}

extension Catalog {
    /// The client's changes with seq > since, at most `limit`, ascending; next = last seq
    /// returned (or `since` if none); more = whether rows after `next` exist.
    /// `.notFound` if no such client; `.invalid` for a negative `since` or a `limit`
    /// outside 1…10 000.
    public func changes(client: String, since: Int64, limit: Int) async throws -> ChangePage {
        guard since >= 0 else { throw CatalogError.invalid("a feed cursor cannot be negative") }
        guard (1...10_000).contains(limit) else { throw CatalogError.invalid("a feed page holds 1 to 10000 changes") }
        return try await read { db in
            guard try await Catalog.feedSequence(db, client: client) != nil else { throw CatalogError.notFound("no client \(client)") }
            // One row beyond the limit answers `more` without a second query.
            var events = try await db.select()
                .columns("client", "seq", "kind", "project", "path", "data", "created_at").from("changes")
                .where("client", .equal, SQLBind(client)).where("seq", .greaterThan, SQLBind(since))
                .orderBy("seq").limit(limit + 1).all()
                .map(Catalog.changeRecord)
            let more = events.count > limit
            if more { events.removeLast() }
            return ChangePage(events: events, next: events.last?.seq ?? since, more: more)
        }
    }

    /// The client's changes of one kind up to feed position `through`, ascending (the
    /// ledger entries an export at a past position holds). `.notFound` if no such client.
    public func changes(client: String, kind: String, through: Int64) async throws -> [ChangeRecord] {
        try await read { db in
            guard try await Catalog.feedSequence(db, client: client) != nil else { throw CatalogError.notFound("no client \(client)") }
            return try await db.select()
                .columns("client", "seq", "kind", "project", "path", "data", "created_at").from("changes")
                .where("client", .equal, SQLBind(client)).where("kind", .equal, SQLBind(kind))
                .where("seq", .lessThanOrEqual, SQLBind(through))
                .orderBy("seq").all()
                .map(Catalog.changeRecord)
        }
    }

    static func changeRecord(_ row: any SQLRow) throws -> ChangeRecord {
        ChangeRecord(
            client: try row.decode(column: "client", as: String.self),
            seq: try row.decode(column: "seq", as: Int64.self),
            kind: try row.decode(column: "kind", as: String.self),
            project: try row.decode(column: "project", as: String?.self),
            path: try row.decode(column: "path", as: String?.self),
            data: try row.decode(column: "data", as: String.self),
            created: Catalog.date(try row.decode(column: "created_at", as: Int64.self)))
    }

    /// The client's newest sequence number (0 for an empty feed): what a fully synced
    /// client's cursor reads. `.notFound` if no such client.
    public func latestChangeSequence(client: String) async throws -> Int64 {
        try await read { db in
            guard let seq = try await Catalog.feedSequence(db, client: client) else { throw CatalogError.notFound("no client \(client)") }
            return seq
        }
    }

    /// Appends a change to the client's feed and returns its sequence number. Call it
    /// inside the transaction that makes the change, so the event commits with it.
    ///
    /// The number comes from bumping the client row's counter, not from MAX(seq)+1: the
    /// UPDATE write-locks that row (SQLite: the whole database, already held by BEGIN
    /// IMMEDIATE; PostgreSQL: the row until commit), so concurrent writers — in this
    /// process or another — queue behind each other, and a rolled-back writer takes its
    /// number back with it. The feed stays gap-free and in commit order, which is what
    /// lets a client's cursor be a single number.
    static func appendChange(
        _ db: any SQLDatabase, client: String, kind: String, project: String?, path: String?, data: String, at time: Int64
    ) async throws -> Int64 {
        try await appendChanges(db, client: client, [NewChange(kind: kind, project: project, path: path, data: data)], at: time)[0]
    }

    /// One change to append: see ``appendChanges(_:client:_:at:)``.
    struct NewChange {
        var kind: String
        var project: String?
        var path: String?
        var data: String
    }

    /// Appends `changes` to the client's feed, in order, numbered by one move of the
    /// client's counter (so they are consecutive and the feed stays gap-free), in
    /// multi-row inserts. Returns their sequence numbers.
    static func appendChanges(_ db: any SQLDatabase, client: String, _ changes: [NewChange], at time: Int64) async throws -> [Int64] {
        guard !changes.isEmpty else { return [] }
        guard changes.allSatisfy({ !$0.kind.isEmpty }) else { throw CatalogError.invalid("a change needs a kind") }
        guard let row = try await db.update("clients")
            .set("feed_seq", to: SQLBinaryExpression(SQLColumn("feed_seq"), .add, SQLLiteral.numeric("\(changes.count)")))
            .where("slug", .equal, SQLBind(client))
            .returning("feed_seq")
            .first()
        else { throw CatalogError.notFound("no client \(client)") }
        let last = try row.decode(column: "feed_seq", as: Int64.self)
        let first = last - Int64(changes.count) + 1
        for (offset, batch) in changes.chunked(changeBatchSize).enumerated() {
            let insert = db.insert(into: "changes").columns("client", "seq", "kind", "project", "path", "data", "created_at")
            for (index, change) in batch.enumerated() {
                let seq = first + Int64(offset * changeBatchSize + index)
                insert.values(
                    SQLBind(client), SQLBind(seq), SQLBind(change.kind), SQLBind(change.project), SQLBind(change.path),
                    SQLBind(change.data), SQLBind(time))
            }
            try await insert.run()
        }
        return (first...last).map { $0 }
    }

    /// Rows per multi-row insert: 7 binds each, far under every backend's limit.
    private static let changeBatchSize = 400

    /// The client's feed counter, or nil if there is no such client.
    static func feedSequence(_ db: any SQLDatabase, client: String) async throws -> Int64? {
        try await db.select().column("feed_seq").from("clients").where("slug", .equal, SQLBind(client)).first()?
            .decode(column: "feed_seq", as: Int64.self)
    }

    /// A change's `data` as compact JSON text with sorted keys, so the same change always
    /// has the same bytes (feeds are compared and hashed in tests and by clients).
    static func jsonObject(_ value: some Encodable, using encoder: JSONEncoder = changeEncoder()) throws -> String {
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw CatalogError.invalid("a change's data cannot be encoded as JSON")
        }
    }

    /// The encoder for changes' data; one can serve many changes of a transaction.
    static func changeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
