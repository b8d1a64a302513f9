import Foundation
import SyncProtocol

/// A page of the change feed as a pull reads it: the data of file events decoded
/// straight into ``FilePutData`` (a push of thousands of files is a large page, and
/// going through ``JSONValue`` would cost more than the transfer of small files).
struct PullFeedPage: Decodable, Hashable, Sendable {
    var events: [PullEvent]
    var next: Int64
    var more: Bool
}

/// One change as a pull needs it; kinds a pull ignores keep no data.
struct PullEvent: Decodable, Hashable, Sendable {
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

    init(seq: Int64, kind: ChangeEvent.Kind, project: String?, path: String?, time: Int64, file: FilePutData?, ledger: LedgerEntryInfo?) {
        self.seq = seq
        self.kind = kind
        self.project = project
        self.path = path
        self.time = time
        self.file = file
        self.ledger = ledger
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

extension PullFeedPage: CompactJSONDecodable {
    /// The page as the server writes it (`{"events":[{"data":…,"kind":…,"path":…,"project":…,
    /// "seq":N,"time":N},…],"more":B,"next":N}`, path and project only when set), without
    /// `JSONDecoder`: a page of 2,000 files took it 20 ms. File data is read in its compact
    /// form too; a ledger entry's goes to `JSONDecoder`, other kinds' is skipped.
    static func compactJSON(_ bytes: UnsafeRawBufferPointer) -> PullFeedPage? {
        var reader = CompactJSONReader(bytes)
        guard reader.take(#"{"events":"#), let events = reader.array(PullEvent.compactJSON),
              reader.take(#","more":"#), let more = reader.bool(), reader.take(#","next":"#), let next = reader.integer(),
              reader.take("}"), reader.atEnd
        else { return nil }
        return PullFeedPage(events: events, next: next, more: more)
    }
}

extension PullEvent {
    fileprivate static func compactJSON(_ reader: inout CompactJSONReader) -> PullEvent? {
        guard reader.take(#"{"data":"#) else { return nil }
        // The data comes before the kind that says what it is (keys are sorted): it is read
        // in place as a file's, the data of most events, and otherwise skipped, to be read
        // again once its kind is known (skipping every event's data first, then reading a
        // file's, was 2 ms of a 2,004-file feed).
        let start = reader.offset
        var inPlace = reader
        let put = FilePutData.compactJSON(&inPlace)
        if put != nil {
            reader = inPlace
        } else if reader.skipValue() == nil {
            return nil
        }
        let data = reader.bytes(from: start)
        guard reader.take(#","kind":"#), let kindName = reader.string() else { return nil }
        var path: String?
        var project: String?
        if reader.take(#","path":"#) {
            guard let value = reader.string() else { return nil }
            path = value
        }
        if reader.take(#","project":"#) {
            guard let value = reader.string() else { return nil }
            project = value
        }
        guard reader.take(#","seq":"#), let seq = reader.integer(), reader.take(#","time":"#), let time = reader.integer(),
              reader.take("}")
        else { return nil }
        let kind = ChangeEvent.Kind(rawValue: kindName)
        var file: FilePutData?
        var ledger: LedgerEntryInfo?
        switch kind {
        case .filePut:
            // As the decoder's `try?`: data of another form is tried whole, then dropped.
            file = put ?? (try? JSONDecoder().decode(FilePutData.self, from: Data(data)))
        case .ledgerEntry:
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(data)) else { return nil }
            ledger = LedgerEntryInfo(ChangeEvent(seq: seq, kind: kind, project: project, path: path, time: time, data: value))
        default:
            break
        }
        return PullEvent(seq: seq, kind: kind, project: project, path: path, time: time, file: file, ledger: ledger)
    }
}

extension APIClient {
    /// The client's change feed after `query.since`, typed for a pull.
    func pullFeed(client: String, query: ChangesQuery) async throws -> PullFeedPage {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/changes?\(query.queryString)")
    }
}
