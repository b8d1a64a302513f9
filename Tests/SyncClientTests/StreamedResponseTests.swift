import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("StreamedResponse: a body read ahead of its reader")
struct StreamedResponseTests {
    /// The two ways a streamed response comes: AsyncHTTPClient's connection (https
    /// servers), or a socket and a thread of its own (http servers).
    enum Transport: String, CaseIterable, CustomTestStringConvertible {
        case client, socket
        var testDescription: String { rawValue }
    }

    struct Request {
        var method: HTTPMethod
        var path: String
        var headers: HTTPHeaders
        var body: ByteBuffer?
    }

    /// The acme export request, as `followup export` sends it.
    func exportRequest(_ server: LiveServer) -> Request {
        Request(method: .GET, path: "/v1/clients/acme/export.tar", headers: HTTPHeaders([("Authorization", "Bearer \(server.acmeToken)")]))
    }

    /// A fetch of every chunk of acme's files, as a pull sends it: the same bytes each time.
    func fetchRequest(_ server: LiveServer) async throws -> Request {
        let files = try await server.storage.catalog.files(client: "acme", project: "site")
        let ids = files.compactMap(\.manifest).flatMap(\.chunks).map { ChunkDigest(bytes: $0.id.bytes)! }
        return Request(
            method: .POST, path: "/v1/chunks/fetch",
            headers: HTTPHeaders([("Authorization", "Bearer \(server.acmeToken)"), ("Content-Type", "application/json")]),
            body: ByteBuffer(bytes: try JSONEncoder().encode(ChunkListRequest(ids: ids))))
    }

    func send(
        _ request: Request, to server: LiveServer, over transport: Transport, readAhead: Int = StreamedResponse.readAheadBytes
    ) throws -> StreamedResponse.Sent {
        switch transport {
        case .client:
            let request = try HTTPClient.Request(
                url: server.url + request.path, method: request.method, headers: request.headers, body: request.body.map { .byteBuffer($0) })
            return StreamedResponse.send(request, on: .shared, deadline: .now() + .seconds(3600), readAhead: readAhead)
        case .socket:
            let request = SocketResponse.Request(
                method: request.method, server: try #require(PlainHTTPServer(server.url)), target: request.path,
                headers: request.headers, body: request.body)
            return StreamedResponse.send(request, buffers: ReceiveBuffers(), timeout: .seconds(60), readAhead: readAhead)
        }
    }

    func start(
        _ request: Request, to server: LiveServer, over transport: Transport, readAhead: Int = StreamedResponse.readAheadBytes
    ) async throws -> StreamedResponse {
        try await send(request, to: server, over: transport, readAhead: readAhead).response()
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

    @Test("a reader slower than the connection gets every byte in order, however small the queue", arguments: Transport.allCases)
    func slowReaderSmallQueue(_ transport: Transport) async throws {
        try await LiveServer.run { server in
            try await pushTree(server)
            let whole = try await start(try await fetchRequest(server), to: server, over: transport)
            #expect(whole.status == 200)
            let expected = try await read(whole.body)
            #expect(expected.count > 1_200_000)

            // A queue of 4 KiB is full after each piece: the connection pauses and resumes
            // many times while the reader sleeps.
            for readAhead in [4096, 256 << 10] {
                let slow = try await start(try await fetchRequest(server), to: server, over: transport, readAhead: readAhead)
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

    @Test(
        "a request sent early reads only a little ahead until its answer is awaited with more, then gives every byte",
        arguments: Transport.allCases)
    func sentEarly(_ transport: Transport) async throws {
        try await LiveServer.run { server in
            try await pushTree(server)
            let expected = try await read(try await start(try await fetchRequest(server), to: server, over: transport).body)

            let sent = try send(try await fetchRequest(server), to: server, over: transport, readAhead: 4096)
            let queue = sent.reader.queue
            try await Self.wait(for: queue) { _, paused in paused }
            let early = queue.backlog
            #expect(early.paused, "the connection stops reading at its small read-ahead")
            // One read past the limit at most: 64 KiB for the client, a receive buffer for the socket.
            #expect(early.bytes < 4096 + max(64 << 10, ReceiveBuffers.bufferBytes), "at most one read past the limit: \(early.bytes)")

            let response = try await sent.response(readAhead: 1 << 20)
            try await Self.wait(for: queue) { bytes, _ in bytes >= 512 << 10 }
            #expect(queue.backlog.bytes >= 512 << 10, "it reads on once the answer is awaited")
            let bytes = try await read(response.body)
            let same = bytes == expected  // not in the expectation: it would print both arrays
            #expect(same)
        }
    }

    @Test("a body dropped before its end cancels its request instead of leaving it paused", arguments: Transport.allCases)
    func droppedBodyCancels(_ transport: Transport) async throws {
        try await LiveServer.run { server in
            try await pushTree(server)
            var response: StreamedResponse? = try await start(exportRequest(server), to: server, over: transport, readAhead: 4096)
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
            let again = try await self.start(exportRequest(server), to: server, over: transport)
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

@Suite("SocketResponse: the http transport against servers that misbehave")
struct SocketResponseTests {
    /// A server on a loopback port that answers one connection with `reply` (after reading
    /// the request's head), then closes it, or keeps it open without a word if `reply` is nil.
    final class CannedServer: @unchecked Sendable {
        let port: Int
        private let listener: Int32

        init(reply: [UInt8]?, hold: Duration = .seconds(5)) throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.listener = listener
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
            }
            guard bound, listen(listener, 4) == 0 else { throw SocketError.failed("cannot listen") }
            port = Int(UInt16(bigEndian: address.sin_port))
            let thread = Thread {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                defer { close(connection) }
                var head: [UInt8] = []
                var byte: UInt8 = 0
                while !head.suffix(4).elementsEqual("\r\n\r\n".utf8), recv(connection, &byte, 1, 0) == 1 { head.append(byte) }
                guard let reply else {
                    Thread.sleep(forTimeInterval: Double(hold.components.seconds))
                    return
                }
                _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            thread.start()
        }

        deinit { close(listener) }

        func start(timeout: Duration = .seconds(10)) async throws -> StreamedResponse {
            let request = SocketResponse.Request(
                method: .GET, server: PlainHTTPServer(host: "127.0.0.1", port: port, authority: "127.0.0.1:\(port)", pathPrefix: ""),
                target: "/v1/clients/acme/export.tar", headers: HTTPHeaders(), body: nil)
            return try await StreamedResponse.send(request, buffers: ReceiveBuffers(), timeout: timeout).response()
        }
    }

    static func readAll(_ body: StreamedResponse.Body) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await piece in body { bytes += piece.readableBytesView }
        return bytes
    }

    @Test("a body cut short by the server fails the read instead of ending it early")
    func cutShort() async throws {
        let server = try CannedServer(reply: Array("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly this".utf8))
        let response = try await server.start()
        #expect(response.status == 200)
        await #expect(throws: HTTP1DecodingError.truncated("the response ended early")) { _ = try await Self.readAll(response.body) }
    }

    @Test("a server that never answers fails the request after the timeout")
    func silentServer() async throws {
        let server = try CannedServer(reply: nil)
        let started = ContinuousClock.now
        await #expect(throws: SocketError.self) { _ = try await server.start(timeout: .seconds(1)) }
        #expect(ContinuousClock.now - started < .seconds(4))
    }

    @Test("an answer that is not HTTP fails the request")
    func notHTTP() async throws {
        let server = try CannedServer(reply: Array("SSH-2.0-OpenSSH_9.2\r\n".utf8))
        await #expect(throws: HTTP1DecodingError.self) { _ = try await server.start() }
    }

    @Test("a chunked body read through the socket arrives whole")
    func chunked() async throws {
        let server = try CannedServer(reply: HTTP1ResponseDecoderTests.chunked)
        let response = try await server.start()
        #expect(response.headers.first(name: "X-Followup-Position") == "42")
        #expect(try await Self.readAll(response.body) == HTTP1ResponseDecoderTests.body)
    }
}
