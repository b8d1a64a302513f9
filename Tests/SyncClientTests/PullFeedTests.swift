import AsyncHTTPClient
import Foundation
import Ledger
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("The change feed read without JSONDecoder")
struct PullFeedTests {
    /// The page read compactly (nil when it is not in the server's form) and by `JSONDecoder`.
    static func both(_ bytes: [UInt8]) throws -> (compact: PullFeedPage?, decoded: PullFeedPage) {
        let compact = bytes.withUnsafeBytes { PullFeedPage.compactJSON($0) }
        return (compact, try JSONDecoder().decode(PullFeedPage.self, from: Data(bytes)))
    }

    @Test("a live server's pages read as JSONDecoder reads them: odd names, folders, deletions, hours")
    func liveFeed() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try TestTree.write(source, #"brand/say "hi" \ back.txt"#, Array("quotes".utf8))
            try TestTree.write(source, "brand/ロゴ/説明 😀.txt", Array("日本語".utf8))
            try TestTree.write(source, "empty.txt", [])
            try TestTree.write(source, "video/master.mov", TestTree.bytes(300_000, seed: 3))
            try FileManager.default.createDirectory(atPath: source + "/drafts/nothing yet", withIntermediateDirectories: true)
            let pusher = try server.pusher()
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            try FileManager.default.removeItem(atPath: source + "/empty.txt")
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            let log = HourLog(minutes: Minutes(45), service: "design", phase: nil, note: "tab\tand \"quotes\"", staff: "ann")
            _ = try await server.storage.catalog.logHours(client: "acme", project: "site", log: log, alertThresholds: [])

            var request = HTTPClientRequest(url: server.url + "/v1/clients/acme/changes?since=0&limit=1000")
            request.headers.add(name: "Authorization", value: "Bearer \(server.acmeToken)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            let bytes = Array(try await response.body.collect(upTo: 1 << 24).readableBytesView)
            let (compact, decoded) = try Self.both(bytes)
            #expect(compact != nil, "the server's own form is read compactly")
            #expect(compact == decoded)
            #expect(decoded.events.contains { $0.kind == .ledgerEntry && $0.ledger != nil })
            #expect(decoded.events.contains { $0.kind == .fileDelete })
            #expect(decoded.events.filter { $0.file != nil }.count == 5)
        }
    }

    static let sha = String(repeating: "ab", count: 32)
    static let data = #"{"chunks":[["\#(sha)",5]],"mode":420,"mtime_ns":-1,"sha256":"\#(sha)","size":5,"version":2}"#

    static func page(path: String, data: String = data, tail: String = #""more":true,"next":9}"#) -> String {
        #"{"events":[{"data":\#(data),"kind":"file.put","path":\#(path),"project":"site","seq":9,"time":1700000000}],\#(tail)"#
    }

    @Test("escapes, numbers and odd file data read as JSONDecoder reads them")
    func forms() throws {
        for text in [
            Self.page(path: #""a\/b\\c\"d""#),
            Self.page(path: #""\u00e9\ud83d\ude00\n\t\b\f\r\u0001\u001F""#),
            Self.page(path: #""plain/ünï 😀.txt""#),
            Self.page(path: #""a""#, data: #"{}"#),
            Self.page(path: #""a""#, data: Self.data.replacingOccurrences(of: #""size":5"#, with: #""size":5.0"#)),
            Self.page(path: #""a""#, data: Self.data.replacingOccurrences(of: #""mtime_ns":-1"#, with: #""mtime_ns":-9223372036854775808"#)),
        ] {
            let (compact, decoded) = try Self.both(Array(text.utf8))
            #expect(compact != nil, "\(text)")
            #expect(compact == decoded, "\(text)")
        }
    }

    @Test("any other form is left to JSONDecoder")
    func otherForms() throws {
        for text in [
            Self.page(path: #""a""#).replacingOccurrences(of: #""seq":9"#, with: #""seq": 9"#),
            Self.page(path: #""a""#, tail: #""more":true,"next":9e0}"#),
            Self.page(path: #""a""#, tail: #""more":true,"next":9.5}"#),
            Self.page(path: #""a""#, tail: #""more":true,"next":99999999999999999999}"#),
            Self.page(path: #""a""#, tail: #""next":9,"more":true}"#),
            Self.page(path: #""\ud83d""#),
            Self.page(path: #""\x""#),
            Self.page(path: "\"a\tb\""),
            Self.page(path: #""a""#) + " ",
        ] {
            #expect(Array(text.utf8).withUnsafeBytes { PullFeedPage.compactJSON($0) } == nil, "\(text)")
        }
        // The path's "q" (the first in the page) made a byte UTF-8 does not have.
        var invalid = Array(Self.page(path: #""zq""#).utf8)
        invalid[invalid.firstIndex(of: UInt8(ascii: "q"))!] = 0xFF
        #expect(invalid.withUnsafeBytes { PullFeedPage.compactJSON($0) } == nil, "not UTF-8")
    }
}
