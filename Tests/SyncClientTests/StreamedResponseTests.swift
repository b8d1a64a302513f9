import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("StreamedResponse: a body read ahead of its reader")
struct StreamedResponseTests {
    /// The acme export request, as `followup export` sends it.
    func exportRequest(_ server: LiveServer) throws -> HTTPClient.Request {
        try HTTPClient.Request(
            url: server.url + "/v1/clients/acme/export.tar", method: .GET,
            headers: HTTPHeaders([("Authorization", "Bearer \(server.acmeToken)")]))
    }

    /// A fetch of every chunk of acme's files, as a pull sends it: the same bytes each time.
    func fetchRequest(_ server: LiveServer) async throws -> HTTPClient.Request {
        let files = try await server.storage.catalog.files(client: "acme", project: "site")
        let ids = files.compactMap(\.manifest).flatMap(\.chunks).map { ChunkDigest(bytes: $0.id.bytes)! }
        return try HTTPClient.Request(
            url: server.url + "/v1/chunks/fetch", method: .POST,
            headers: HTTPHeaders([("Authorization", "Bearer \(server.acmeToken)"), ("Content-Type", "application/json")]),
            body: .bytes(try JSONEncoder().encode(ChunkListRequest(ids: ids))))
    }

    func pushTree(_ server: LiveServer) async throws {
        let source = server.root + "/staff"
        try TestTree.write(source, "video/master.mov", TestTree.bytes(900_000, seed: 4))
        try TestTree.write(source, "brand/logo.png", TestTree.bytes(300_000, seed: 5))
        _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
    }

    func read(_ body: StreamedResponse.Body, pauseEvery: Int = 0) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        var pieces = 0
        for try await piece in body {
            bytes += piece.readableBytesView
            pieces += 1
            if pauseEvery > 0, pieces % pauseEvery == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        return bytes
    }

    @Test("a reader slower than the connection gets every byte in order, however small the queue")
    func slowReaderSmallQueue() async throws {
        try await LiveServer.run { server in
            try await pushTree(server)
            let deadline = NIODeadline.now() + .seconds(60)
            let whole = try await StreamedResponse.start(try await fetchRequest(server), on: .shared, deadline: deadline)
            #expect(whole.status == 200)
            let expected = try await read(whole.body)
            #expect(expected.count > 1_200_000)

            // A queue of 4 KiB is full after each piece: the connection pauses and resumes
            // many times while the reader sleeps.
            for readAhead in [4096, 256 << 10] {
                let slow = try await StreamedResponse.start(
                    try await fetchRequest(server), on: .shared, deadline: deadline, readAhead: readAhead)
                let bytes = try await read(slow.body, pauseEvery: 3)
                #expect(bytes.count == expected.count, "read-ahead \(readAhead)")
                let same = bytes == expected  // not in the expectation: it would print both arrays
                #expect(same, "read-ahead \(readAhead): the bytes differ")
            }
        }
    }

    /// Waits (10 s at most) until the queue's backlog meets `condition`, or its body ended.
    static func wait(for queue: ReadAheadQueue, until condition: (Int, Bool) -> Bool) async throws {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(10) {
            let backlog = queue.backlog
            if condition(backlog.bytes, backlog.paused) || queue.ended { return }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test("a request sent early reads only a little ahead until its answer is awaited with more, then gives every byte")
    func sentEarly() async throws {
        try await LiveServer.run { server in
            try await pushTree(server)
            let deadline = NIODeadline.now() + .seconds(60)
            let expected = try await read(try await StreamedResponse.start(try await fetchRequest(server), on: .shared, deadline: deadline).body)

            let sent = StreamedResponse.send(try await fetchRequest(server), on: .shared, deadline: deadline, readAhead: 4096)
            let queue = sent.reader.queue
            try await Self.wait(for: queue) { _, paused in paused }
            let early = queue.backlog
            #expect(early.paused, "the connection stops reading at its small read-ahead")
            #expect(early.bytes < 4096 + (64 << 10), "at most one piece past the limit: \(early.bytes)")

            let response = try await sent.response(readAhead: 1 << 20)
            try await Self.wait(for: queue) { bytes, _ in bytes >= 512 << 10 }
            #expect(queue.backlog.bytes >= 512 << 10, "it reads on once the answer is awaited")
            let bytes = try await read(response.body)
            let same = bytes == expected  // not in the expectation: it would print both arrays
            #expect(same)
        }
    }

    @Test("a body dropped before its end cancels its request instead of leaving it paused")
    func droppedBodyCancels() async throws {
        try await LiveServer.run { server in
            try await pushTree(server)
            let deadline = NIODeadline.now() + .seconds(3600)
            var response: StreamedResponse? = try await StreamedResponse.start(
                try exportRequest(server), on: .shared, deadline: deadline, readAhead: 4096)
            let queue = try #require(response?.body.reader.queue)
            var iterator = response?.body.makeAsyncIterator()
            _ = try await iterator?.next()
            #expect(!queue.ended)
            iterator = nil
            response = nil
            // Without the cancel, the paused request would end only at its deadline, an hour away.
            let start = ContinuousClock.now
            while !queue.ended, ContinuousClock.now - start < .seconds(10) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(queue.ended)
            // The server goes on serving.
            let again = try await StreamedResponse.start(try exportRequest(server), on: .shared, deadline: deadline)
            #expect(try await read(again.body).count > 1_200_000)
        }
    }

    @Test("an error status comes with its body; a refused connection is a transport error")
    func errors() async throws {
        try await LiveServer.run { server in
            let api = try server.api(server.acmeToken)
            do {
                _ = try await api.export(client: "globex", project: nil, at: nil)
                Issue.record("another client's export was served")
            } catch let RemoteError.server(status, code, _) {
                #expect([403, 404].contains(status))
                #expect(!code.isEmpty && !code.hasPrefix("http_"))
            }
        }
        let closed = try APIClient(endpoint: ServerEndpoint(url: "http://127.0.0.1:9", token: "t"), timeout: .seconds(2), logger: LiveServer.quietLogger())
        await #expect {
            _ = try await closed.export(client: "acme", project: nil, at: nil)
        } throws: { error in
            if case RemoteError.transport = error { return true }
            return false
        }
    }
}
