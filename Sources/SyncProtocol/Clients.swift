/// `POST /v1/clients` (admin): a new client of the agency.
public struct CreateClientRequest: Codable, Hashable, Sendable {
    /// URL-safe identifier: 1–63 of [a-z0-9-].
    public var slug: String
    public var name: String
    /// `none`, `monthly` or `one-time`; `none` when absent.
    public var plan: String?
    /// The client's own hourly rate in cents; the configured default when absent.
    public var rateCents: Int64?

    public init(slug: String, name: String, plan: String? = nil, rateCents: Int64? = nil) {
        self.slug = slug
        self.name = name
        self.plan = plan
        self.rateCents = rateCents
    }

    private enum CodingKeys: String, CodingKey {
        case slug, name, plan
        case rateCents = "rate_cents"
    }
}

/// A client as the API shows it.
public struct ClientInfo: Codable, Hashable, Sendable {
    public var slug: String
    public var name: String
    public var plan: String
    public var rateCents: Int64?
    /// Unix seconds.
    public var created: Int64

    public init(slug: String, name: String, plan: String, rateCents: Int64?, created: Int64) {
        self.slug = slug
        self.name = name
        self.plan = plan
        self.rateCents = rateCents
        self.created = created
    }

    private enum CodingKeys: String, CodingKey {
        case slug, name, plan, created
        case rateCents = "rate_cents"
    }
}

/// `POST /v1/clients/{client}/projects` (staff): a project and its phases.
public struct CreateProjectRequest: Codable, Hashable, Sendable {
    public var slug: String
    public var title: String
    public var phases: [String]?
    /// Whether hours may be logged beyond the credited balance (flagged as overage).
    public var allowOverage: Bool?

    public init(slug: String, title: String, phases: [String]? = nil, allowOverage: Bool? = nil) {
        self.slug = slug
        self.title = title
        self.phases = phases
        self.allowOverage = allowOverage
    }

    private enum CodingKeys: String, CodingKey {
        case slug, title, phases
        case allowOverage = "allow_overage"
    }
}

/// A project as the API shows it.
public struct ProjectInfo: Codable, Hashable, Sendable {
    public var client: String
    public var slug: String
    public var title: String
    public var phases: [String]
    public var allowOverage: Bool
    /// Unix seconds.
    public var created: Int64

    public init(client: String, slug: String, title: String, phases: [String], allowOverage: Bool, created: Int64) {
        self.client = client
        self.slug = slug
        self.title = title
        self.phases = phases
        self.allowOverage = allowOverage
        self.created = created
    }

    private enum CodingKeys: String, CodingKey {
        case client, slug, title, phases, created
        case allowOverage = "allow_overage"
    }
}

/// `GET /healthz`.
public struct HealthResponse: Codable, Hashable, Sendable {
    public var status: String
    public var version: String

    public init(status: String, version: String) {
        self.status = status
        self.version = version
    }
}

/// The header that makes a mutating request safe to retry.
public enum IdempotencyHeader {
    public static let name = "Idempotency-Key"
}
