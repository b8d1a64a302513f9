import ContentStore
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("Remote chunk stream")
struct RemoteChunkStreamTests {
    /// Pushes `sizes.count` files of one chunk each for acme; their chunks, in feed order.
    func pushedChunks(_ server: LiveServer, sizes: [Int]) async throws -> [ChunkRef] {
        let source = server.root + "/staff"
        for (index, size) in sizes.enumerated() {
            try TestTree.write(source, "f\(index).bin", TestTree.bytes(size, seed: UInt64(index + 1)))
        }
        _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
        let page = try await server.api(server.acmeToken).pullFeed(client: "acme", query: try #require(ChangesQuery(since: 0, limit: 1000)))
        return page.events.compactMap(\.file).flatMap(\.chunks).map { ChunkRef(id: ChunkID(words: $0.id.words), length: Int($0.length)) }
    }

    @Test("chunks come in windows, each asked for while the one before arrives: the first small, each next one four times larger")
    func windows() async throws {
        try await LiveServer.run { server in
            let chunks = try await pushedChunks(server, sizes: (0..<40).map { 3_000 + $0 })
            try #require(chunks.count == 40)
            let api = try server.api(server.acmeToken)

            // Windows of 2, 8 and 30 chunks.
            let stream = RemoteChunkStream(api: api, chunks: chunks, compression: false, firstWindowIDs: 2)
            #expect(stream.requests == 0)
            var received: [[UInt8]] = [Array(try await stream.next(chunks[0]).readableBytesView)]
            #expect(stream.requests == 2, "the second window is asked for as soon as the first arrives")
            received.append(Array(try await stream.next(chunks[1]).readableBytesView))
            #expect(stream.requests == 2)
            received.append(Array(try await stream.next(chunks[2]).readableBytesView))
            #expect(stream.requests == 3)
            for chunk in chunks[3...] { received.append(Array(try await stream.next(chunk).readableBytesView)) }
            try await stream.finish()
            #expect(stream.requests == 3)
            #expect(zip(chunks, received).allSatisfy { SHA256.hash($1) == $0.id && $1.count == $0.length })
            #expect(stream.fetchedBytes == Int64(chunks.reduce(0) { $0 + $1.length }))
        }
    }

    @Test("a window the server refuses fails the stream when it is reached, with the server's answer")
    func refusedWindow() async throws {
        try await LiveServer.run { server in
            var chunks = try await pushedChunks(server, sizes: Array(repeating: 2_000, count: 4))
            let api = try server.api(server.acmeToken)
            // A chunk acme has no file with, in the second window.
            chunks.append(ChunkRef(id: SHA256.hash(Array("not acme's".utf8)), length: 10))

            let stream = RemoteChunkStream(api: api, chunks: chunks, compression: false, firstWindowIDs: 2)
            for chunk in chunks[..<2] { _ = try await stream.next(chunk) }
            await #expect {
                _ = try await stream.next(chunks[2])
            } throws: { error in
                guard case let RemoteError.server(status, _, _) = error else { return false }
                return status == 404
            }
        }
    }
}
