import ContentStore
import Foundation
import Ledger
import SQLKit

/// A client of the agency: the unit of ownership. Every project, file, ledger entry
/// and change-feed event belongs to exactly one client, and a client token sees only
/// its own client's rows.
public struct Client: Sendable, Hashable, Codable {
    /// The client's identifier in URLs, paths and the CLI; never changes.
    public var slug: String
    public var name: String
    public var plan: Plan
    /// The client's own hourly rate in cents; nil means the configured default applies.
    public var rateCents: Int64?
    public var created: Date
}

extension Catalog {
    /// Slugs: 1–63 chars of [a-z0-9-], starting with a letter or digit, not ending with "-".
    ///
    /// Slugs become URL path segments and folder names on clients' disks, so they are
    /// kept to characters that need no escaping and are equal under every case and
    /// Unicode normalisation rule of the file systems they land on.
    public static func isValidSlug(_ s: String) -> Bool {
        let bytes = s.utf8
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    /// A human-readable label (a name, a title, a phase): 1 to `maxLength` characters,
    /// not blank, no control characters. Labels end up in CSV files, terminal tables and
    /// invoices, where a newline or an escape sequence would corrupt the output.
    static func isValidLabel(_ s: String, maxLength: Int) -> Bool {
        (1...maxLength).contains(s.count)
            && !s.allSatisfy(\.isWhitespace)
            && !s.unicodeScalars.contains(where: \.isControl)
    }

    /// Creates a client with an empty change feed. `.conflict` if the slug is taken.
    public func createClient(
        slug: String, name: String, plan: Plan = .none, rateCents: Int64? = nil, at time: Date = Date()
    ) async throws -> Client {
        try await transaction { db in
            try await Catalog.insertClient(db, slug: slug, name: name, plan: plan, rateCents: rateCents, at: time)
        }
    }

    public func client(_ slug: String) async throws -> Client? {
        try await read { db in try await Catalog.fetchClient(db, slug: slug) }
    }

    /// Every client, ordered by slug.
    public func clients() async throws -> [Client] {
        try await read { db in
            try await db.select().columns(Catalog.clientColumns).from("clients").orderBy("slug").all()
                .map(Catalog.client(from:))
        }
    }

    /// `createClient` on a caller's transaction, so it can run inside `idempotent(…)`
    /// (or together with other writes) and commit or roll back with them.
    ///
    /// Call it only with the database handed to a catalog transaction (`idempotent`'s
    /// `perform`): on its own it has no transaction around it.
    public static func insertClient(
        _ db: any SQLDatabase, slug: String, name: String, plan: Plan = .none, rateCents: Int64? = nil, at time: Date = Date()
    ) async throws -> Client {
        guard isValidSlug(slug) else {
            throw CatalogError.invalid("a client slug is 1 to 63 characters of a-z, 0-9 and -, not starting or ending with -")
        }
        guard isValidLabel(name, maxLength: 200) else {
            throw CatalogError.invalid("a client name is 1 to 200 characters, without control characters")
        }
        if let rateCents, rateCents < 0 { throw CatalogError.invalid("an hourly rate cannot be negative") }
        // Checked first for a clear error; the primary key still guards a race on PostgreSQL.
        guard try await fetchClient(db, slug: slug) == nil else { throw CatalogError.conflict("client \(slug) already exists") }
        let now = timestamp(time)
        try await db.insert(into: "clients")
            .columns("slug", "name", "plan", "rate_cents", "feed_seq", "created_at")
            .values(SQLBind(slug), SQLBind(name), SQLBind(plan.rawValue), SQLBind(rateCents), SQLBind(Int64(0)), SQLBind(now))
            .run()
        return Client(slug: slug, name: name, plan: plan, rateCents: rateCents, created: date(now))
    }

    /// The client `slug`, read on the given database (a transaction's or a read's).
    public static func fetchClient(_ db: any SQLDatabase, slug: String) async throws -> Client? {
        try await db.select().columns(clientColumns).from("clients").where("slug", .equal, SQLBind(slug)).first()
            .map(client(from:))
    }

    static let clientColumns = ["slug", "name", "plan", "rate_cents", "created_at"]

    static func client(from row: any SQLRow) throws -> Client {
        let planName = try row.decode(column: "plan", as: String.self)
        guard let plan = Plan(rawValue: planName) else { throw CatalogError.invalid("a stored client has an unknown plan \(planName)") }
        return Client(
            slug: try row.decode(column: "slug", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            plan: plan,
            rateCents: try row.decode(column: "rate_cents", as: Int64?.self),
            created: date(try row.decode(column: "created_at", as: Int64.self)))
    }
}
