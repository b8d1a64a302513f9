import Foundation
import SyncProtocol
import Testing

@Suite("JSON shapes of the sync protocol")
struct JSONShapeTests {
    private func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test("an error body is {\"error\": {\"code\", \"message\"}}")
    func errorBody() throws {
        let body = ErrorBody(code: .notFound, message: "no project acme/site")
        #expect(try json(body) == #"{"error":{"code":"not_found","message":"no project acme/site"}}"#)
        let decoded = try JSONDecoder().decode(
            ErrorBody.self, from: Data(#"{"error":{"code":"overage_refused","message":"m"}}"#.utf8))
        #expect(decoded == ErrorBody(code: ErrorCode("overage_refused"), message: "m"))
    }

    @Test("a changes response lists events, the next cursor and the more flag")
    func changesResponse() throws {
        let response = ChangesResponse(
            events: [
                ChangeEvent(seq: 41, kind: .filePut, project: "site", path: "logo/logo.svg", time: 1_700_000_000),
                ChangeEvent(seq: 42, kind: .ledgerEntry, project: "site", time: 1_700_000_001, data: .object(["minutes": .integer(90)])),
            ],
            next: 42, more: true)
        #expect(try json(response) == """
            {"events":[{"data":{},"kind":"file.put","path":"logo/logo.svg","project":"site","seq":41,"time":1700000000},\
            {"data":{"minutes":90},"kind":"ledger.entry","project":"site","seq":42,"time":1700000001}],"more":true,"next":42}
            """)
        #expect(try JSONDecoder().decode(ChangesResponse.self, from: Data(try json(response).utf8)) == response)
    }

    @Test("an event of a kind this client does not know still decodes")
    func unknownKind() throws {
        let event = try JSONDecoder().decode(ChangeEvent.self, from: Data(#"{"seq":7,"kind":"future.thing"}"#.utf8))
        #expect(event == ChangeEvent(seq: 7, kind: "future.thing"))
    }

    @Test("a chunk id is a hex string in JSON, and bad hex is refused")
    func digestJSON() throws {
        let id = try #require(ChunkDigest(bytes: [UInt8](repeating: 0xAB, count: 32)))
        #expect(try json([id]) == "[\"" + String(repeating: "ab", count: 32) + "\"]")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ChunkDigest].self, from: Data(#"["abc"]"#.utf8)) }
    }

    @Test("the changes query defaults, bounds and prints its parameters")
    func changesQuery() throws {
        let defaults = try #require(ChangesQuery(parsingSince: nil, limit: nil))
        #expect(defaults == ChangesQuery(since: 0, limit: ChangesQuery.defaultLimit))
        #expect(ChangesQuery(parsingSince: "12", limit: "50")?.queryString == "since=12&limit=50")
        #expect(ChangesQuery(parsingSince: "x", limit: nil) == nil)
        #expect(ChangesQuery(parsingSince: "-1", limit: nil) == nil)
        #expect(ChangesQuery(parsingSince: "0", limit: "0") == nil)
        #expect(ChangesQuery(parsingSince: "0", limit: String(ChangesQuery.maxLimit + 1)) == nil)
    }
}
