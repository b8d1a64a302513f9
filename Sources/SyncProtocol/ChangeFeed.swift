/// `GET /v1/clients/{client}/changes?since=N&limit=M`: the client's changes after its cursor.
///
/// Every visible change for a client has a per-client, gap-free, increasing sequence
/// number; a client's cursor is the last number it applied.
public struct ChangesQuery: Hashable, Sendable {
    public static let defaultLimit = 500
    /// Bounds one response, so a client far behind pages through the feed.
    public static let maxLimit = 5000

    /// The last sequence number the client applied; 0 before the first pull.
    public var since: Int64
    public var limit: Int

    /// Nil unless `since` ≥ 0 and `limit` is within 1...``maxLimit``.
    public init?(since: Int64, limit: Int = ChangesQuery.defaultLimit) {
        guard since >= 0, (1...Self.maxLimit).contains(limit) else { return nil }
        self.since = since
        self.limit = limit
    }

    /// Parses the query parameters as a server receives them (absent ones take their
    /// defaults); nil for a malformed or out-of-range value.
    public init?(parsingSince since: String?, limit: String?) {
        guard let since = since.map(Int64.init) ?? 0, let limit = limit.map(Int.init) ?? Self.defaultLimit else {
            return nil
        }
        self.init(since: since, limit: limit)
    }

    /// `since=N&limit=M`, for the request's URL.
    public var queryString: String { "since=\(since)&limit=\(limit)" }
}

/// The response to a ``ChangesQuery``.
public struct ChangesResponse: Codable, Hashable, Sendable {
    /// In increasing sequence order, at most the query's limit.
    public var events: [ChangeEvent]
    /// The cursor to send next time: the last event's sequence number, or the query's
    /// `since` when there were none (a no-op pull leaves the cursor where it was).
    public var next: Int64
    /// True when events after `next` exist already: ask again at once.
    public var more: Bool

    public init(events: [ChangeEvent], next: Int64, more: Bool) {
        self.events = events
        self.next = next
        self.more = more
    }

    private enum CodingKeys: String, CodingKey {
        case events, next, more
    }
}

/// One entry of a client's change feed.
public struct ChangeEvent: Codable, Hashable, Sendable {
    /// The per-client sequence number.
    public var seq: Int64
    public var kind: Kind
    /// The project the change belongs to; nil for client-wide changes.
    public var project: String?
    /// The file's path inside the project, for file events.
    public var path: String?
    /// When the change was recorded, Unix seconds.
    public var time: Int64
    /// The kind's own details (a JSON object), e.g. `{"state": "created", "title": …}`.
    public var data: JSONValue

    public init(seq: Int64, kind: Kind, project: String? = nil, path: String? = nil, time: Int64 = 0, data: JSONValue = .object([:])) {
        self.seq = seq
        self.kind = kind
        self.project = project
        self.path = path
        self.time = time
        self.data = data
    }

    private enum CodingKeys: String, CodingKey {
        case seq, kind, project, path, time, data
    }

    /// `time` and `data` may be absent (older servers): they decode as 0 and `{}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int64.self, forKey: .seq)
        kind = try container.decode(Kind.self, forKey: .kind)
        project = try container.decodeIfPresent(String.self, forKey: .project)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        time = try container.decodeIfPresent(Int64.self, forKey: .time) ?? 0
        data = try container.decodeIfPresent(JSONValue.self, forKey: .data) ?? .object([:])
    }

    /// What changed. A string on the wire rather than a closed enum, so a client can skip
    /// kinds added by a newer server instead of failing to decode the whole page.
    public struct Kind: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral {
        public var rawValue: String

        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        /// A new version of a file (creation or change).
        public static let filePut: Kind = "file.put"
        /// A file's tombstone.
        public static let fileDelete: Kind = "file.delete"
        /// A credit, debit, reversal or voucher in the hours ledger.
        public static let ledgerEntry: Kind = "ledger.entry"
        /// Used minutes crossed a budget threshold of the credited minutes.
        public static let budgetAlert: Kind = "budget.alert"
        public static let projectState: Kind = "project.state"
        public static let quoteState: Kind = "quote.state"
        public static let invoiceState: Kind = "invoice.state"
        public static let ticketState: Kind = "ticket.state"
    }
}
