import Catalog
import ContentStore
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SyncProtocol
import Testing
@testable import FollowUpServer

/// The commit body read as it arrives answers as `JSONDecoder` on the whole body did.
@Suite("Commit body")
struct CommitBodyTests {
    static func file(_ index: Int) -> CommitFile {
        let id = ChunkDigest(bytes: SHA256.hash(Array("chunk \(index)".utf8)).bytes)!
        return CommitFile(
            path: "dir \(index % 7)/file \(index).txt", size: 10, mode: 0o644, mtimeNs: 1_700_000_000_000_000_000 + Int64(index),
            sha256: ChunkDigest(bytes: SHA256.hash(Array("file \(index)".utf8)).bytes)!, chunks: [ChunkSpan(id: id, length: 10)],
            phase: index % 3 == 0 ? "Build" : nil)
    }

    /// What the route decoded before: the whole body with `JSONDecoder`, then mapped.
    func whole(_ bytes: [UInt8]) -> (files: [FileUpload], deletions: [String], hours: HourLogRequest?)? {
        guard let body = try? JSONDecoder().decode(CommitRequestBody.self, from: Data(bytes)) else { return nil }
        return (body.files.map(FileUpload.init), body.deletions, body.hours)
    }

    func streamed(_ bytes: [UInt8], pieces: Int) -> (files: [FileUpload], deletions: [String], hours: HourLogRequest?)? {
        var reader = CommitBodyReader()
        do {
            for start in stride(from: 0, to: bytes.count, by: pieces) {
                try bytes[start..<min(start + pieces, bytes.count)].withUnsafeBytes { try reader.read($0) }
            }
            return try reader.finish()
        } catch {
            return nil
        }
    }

    func expectSame(_ text: String, accepted: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        expectSame(Array(text.utf8), accepted: accepted, sourceLocation: sourceLocation)
    }

    func expectSame(_ bytes: [UInt8], accepted: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = whole(bytes)
        #expect((expected != nil) == accepted, "JSONDecoder \(accepted ? "refused" : "accepted") it", sourceLocation: sourceLocation)
        for pieces in [1, 2, 7, 100, 4096, max(bytes.count, 1)] {
            let got = streamed(bytes, pieces: pieces)
            #expect(got?.files == expected?.files, "pieces of \(pieces)", sourceLocation: sourceLocation)
            #expect(got?.deletions == expected?.deletions, "pieces of \(pieces)", sourceLocation: sourceLocation)
            #expect(got?.hours == expected?.hours, "pieces of \(pieces)", sourceLocation: sourceLocation)
            #expect((got != nil) == (expected != nil), "pieces of \(pieces)", sourceLocation: sourceLocation)
        }
    }

    @Test("the client's bodies, of several batches, with deletions and hours")
    func clientBodies() throws {
        let hours = HourLogRequest(project: "site", minutes: 90, service: "design", phase: "Build", note: "a \"quoted\" note")
        for count in [0, 1, 499, 500, 501, 1234] {
            let body = CommitRequestBody(
                files: (0..<count).map(Self.file), deletions: ["gone.txt", "a/b \u{E9}.txt"], hours: count % 2 == 0 ? hours : nil)
            let bytes = try body.jsonBytes()
            #expect(whole(bytes)?.files.count == count)
            expectSame(bytes, accepted: true)
            // JSONEncoder's own bytes (keys in another order, escaped slashes) read the same.
            expectSame(Array(try JSONEncoder().encode(body)), accepted: true)
        }
    }

    @Test("what JSONDecoder accepts around the files, the reader accepts, and only that")
    func edges() throws {
        let one = String(decoding: try JSONEncoder().encode(Self.file(1)), as: UTF8.self)
        let two = String(decoding: try JSONEncoder().encode(Self.file(2)), as: UTF8.self)
        let accepted = [
            #"{"files":[],"deletions":[]}"#,
            " \n\t\r{ \"files\" : [ \(one) ,\n\(two) ] , \"deletions\" : [ \"x\" ] , \"hours\" : null } \n",
            #"{"deletions":["a"],"files":[\#(one)],"hours":{"project":"p","minutes":5,"service":"s"}}"#,
            // Trailing commas, members given twice (the first counts), unknown members.
            #"{"files":[\#(one),],"deletions":[],}"#,
            #"{"files":[\#(one)],"files":[\#(two)],"deletions":["a"],"deletions":["b"],"hours":null,"hours":{"x":1}}"#,
            #"{"extra":{"a":[1,{"b":"]}"}],"c":null},"files":[\#(two)],"more":"}]\"","n":-1.5e3,"t":true,"deletions":[]}"#,
            #"{"fi\u006ces":[\#(one)],"deletions":[]}"#,
            #"{"files":[\#(one)],"deletions":[],"x":[1,]}"#,
        ]
        for text in accepted { expectSame(text, accepted: true) }
        let refused = [
            "", "   ", "{", "{}", "[]", "null", #"{"files":[]}"#, #"{"deletions":[]}"#, #"{"files":null,"deletions":[]}"#,
            #"{,"files":[],"deletions":[]}"#, #"{"files":[],,"deletions":[]}"#, #"{"files":[,\#(one)],"deletions":[]}"#,
            #"{"files":[\#(one),,\#(two)],"deletions":[]}"#, #"{"files":[\#(one) \#(two)],"deletions":[]}"#,
            #"{"files":[1],"deletions":[]}"#, #"{"files":[{}],"deletions":[]}"#, #"{"files":[],"deletions":[]} x"#,
            #"{"files":[],"deletions":[]}{}"#, #"{"files":[],"deletions":[]"#, #"{"files":[\#(one)"#,
            #"{"files":[],"deletions":[1]}"#, #"{"files":[],"deletions":[],"hours":5}"#, #"{"files" [],"deletions":[]}"#,
            #"{"files":[],"deletions":[],"x":}"#, #"{"files":[],"deletions":[],"x":[}"#, #"{"files":[],"deletions":[],"x":tru}"#,
            "{\"files\":[],\"deletions\":[]}\u{0}", "{\"files\":[],\u{0C}\"deletions\":[]}", #"{"files\":[],"deletions":[]}"#,
            #"{"files":[\#(one.replacingOccurrences(of: "\"size\":10", with: "\"size\":\"10\""))],"deletions":[]}"#,
        ]
        for text in refused { expectSame(text, accepted: false) }
        // Not plain UTF-8: kept whole and decoded as before.
        let plain = #"{"files":[\#(one)],"deletions":["x"]}"#
        expectSame([0xEF, 0xBB, 0xBF] + Array(plain.utf8), accepted: true)
        expectSame(Array(plain.data(using: .utf16LittleEndian)!), accepted: true)
        expectSame(Array(plain.data(using: .utf16BigEndian)!), accepted: true)
        expectSame(Array(" ".utf8) + Array(plain.data(using: .utf16LittleEndian)!), accepted: whole(Array(" ".utf8) + Array(plain.data(using: .utf16LittleEndian)!)) != nil)
        expectSame([0xFF, 0xFE], accepted: false)
    }

    @Test("a commit of several batches through the route: the response lists every path in order; a retry replays it")
    func route() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        let content = Array((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let digest = ChunkDigest(bytes: SHA256.hash(content).bytes)!
        @Sendable func file(_ path: String, _ mode: Int = 0o644) -> CommitFile {
            CommitFile(
                path: path, size: Int64(content.count), mode: mode, mtimeNs: 1_700_000_000_000_000_000, sha256: digest,
                chunks: [ChunkSpan(id: digest, length: Int64(content.count))])
        }
        let old = (0..<450).map { "old/\($0).txt" }
        let fresh = (0..<300).map { "new/\($0).txt" }
        try await server.application.test(.router) { client in
            var frames: [UInt8] = []
            try FrameEncoder.append(id: digest, bytes: content, to: &frames)
            try await client.execute(uri: "/v1/chunks", method: .put, headers: .bearer(server.staff), body: ByteBuffer(bytes: frames)) { response in
                #expect(response.status == .ok)
            }
            let first = try CommitRequestBody(files: old.map { file($0) }).jsonBytes()
            let cursor = try await client.execute(
                uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: .write(server.staff), body: ByteBuffer(bytes: first)
            ) { response in
                #expect(response.status == .created)
                let decoded = try #require(response.decoded(CommitResponse.self))
                #expect(decoded.written == old)
                return decoded.cursor
            }

            // 300 deletions, 100 unchanged, 50 changed (a mode) and 300 new files, interleaved.
            var files: [CommitFile] = []
            for index in 300..<450 {
                files.append(file(old[index], index < 400 ? 0o644 : 0o600))
                files.append(contentsOf: fresh[(index - 300) * 2..<(index - 299) * 2].map { file($0) })
            }
            let body = try CommitRequestBody(files: files, deletions: Array(old[0..<300])).jsonBytes()
            let written = files.map(\.path).filter { !old[300..<400].contains($0) }
            let expected = try jsonBytes(CommitResponse(
                written: written, deleted: Array(old[0..<300]), unchanged: Array(old[300..<400]), hourEntry: nil, cursor: cursor + 650))
            let headers = HTTPFields.write(server.staff)
            for attempt in 0..<2 {
                try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .created)
                    #expect(Array(response.body.readableBytesView) == expected)
                    #expect((response.headers[HTTPField.Name("Idempotent-Replayed")!] == "true") == (attempt == 1))
                }
            }
            // The same key with another body is refused; so is a body nested too deeply.
            try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: headers, body: ByteBuffer(bytes: first)) { response in
                #expect(response.status == .conflict)
            }
            let deep = #"{"files":[],"deletions":[],"x":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
            try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: .write(server.staff), body: ByteBuffer(string: deep)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("nested deeper than 32 levels"))
            }
            try await client.execute(uri: "/v1/clients/acme/changes?since=\(cursor)&limit=1000", method: .get, headers: .bearer(server.acme)) { response in
                let events = try #require(response.decoded(ChangesResponse.self)?.events)
                #expect(events.map(\.path) == Array(old[0..<300]) + written)
                #expect(events.map(\.seq) == Array(cursor + 1...cursor + 650))
            }
        }
        await server.close()
    }
}
