import SyncProtocol

/// A page of the change feed as a pull reads it: the data of file events decoded
/// straight into ``FilePutData`` (a push of thousands of files is a large page, and
/// going through ``JSONValue`` would cost more than the transfer of small files).
struct PullFeedPage: Decodable, Sendable {
    var events: [PullEvent]
    var next: Int64
    var more: Bool
}

/// One change as a pull needs it; kinds a pull ignores keep no data.
struct PullEvent: Decodable, Sendable {
    var seq: Int64
    var kind: ChangeEvent.Kind
    var project: String?
    var path: String?
    var time: Int64
    /// For "file.put".
    var file: FilePutData?
    /// For "ledger.entry".
    var ledger: LedgerEntryInfo?

    private enum CodingKeys: String, CodingKey {
        case seq, kind, project, path, time, data
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int64.self, forKey: .seq)
        kind = try container.decode(ChangeEvent.Kind.self, forKey: .kind)
        project = try container.decodeIfPresent(String.self, forKey: .project)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        time = try container.decodeIfPresent(Int64.self, forKey: .time) ?? 0
        switch kind {
        case .filePut:
            file = try? container.decode(FilePutData.self, forKey: .data)
        case .ledgerEntry:
            let data = try container.decodeIfPresent(JSONValue.self, forKey: .data) ?? .object([:])
            ledger = LedgerEntryInfo(ChangeEvent(seq: seq, kind: kind, project: project, path: path, time: time, data: data))
        default:
            break
        }
    }

    /// The same event from its general form (tests, and any caller holding a `ChangeEvent`).
    init(_ event: ChangeEvent) {
        seq = event.seq
        kind = event.kind
        project = event.project
        path = event.path
        time = event.time
        file = event.kind == .filePut ? FilePutData(event.data) : nil
        ledger = LedgerEntryInfo(event)
    }
}

extension APIClient {
    /// The client's change feed after `query.since`, typed for a pull.
    func pullFeed(client: String, query: ChangesQuery) async throws -> PullFeedPage {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/changes?\(query.queryString)")
    }
}
