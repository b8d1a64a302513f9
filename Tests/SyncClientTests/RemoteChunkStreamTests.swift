import ContentStore
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("Remote chunk stream")
struct RemoteChunkStreamTests {
    @Test("chunks come in windows, each asked for while the one before arrives: the first small, each next one four times larger")
    func windows() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            for index in 0..<40 {
                try TestTree.write(source, "f\(index).bin", TestTree.bytes(3_000 + index, seed: UInt64(index + 1)))
            }
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let api = try server.api(server.acmeToken)
            let page = try await api.pullFeed(client: "acme", query: try #require(ChangesQuery(since: 0, limit: 1000)))
            let chunks = page.events.compactMap(\.file).flatMap(\.chunks).map { ChunkRef(id: ChunkID(words: $0.id.words), length: Int($0.length)) }
            try #require(chunks.count == 40)

            // Windows of 2, 8 and 30 chunks.
            let stream = RemoteChunkStream(api: api, chunks: chunks, compression: false, firstWindowIDs: 2)
            #expect(stream.requests == 0)
            var received: [[UInt8]] = [try await stream.next(chunks[0])]
            #expect(stream.requests == 2, "the second window is asked for as soon as the first arrives")
            received.append(try await stream.next(chunks[1]))
            #expect(stream.requests == 2)
            received.append(try await stream.next(chunks[2]))
            #expect(stream.requests == 3)
            for chunk in chunks[3...] { received.append(try await stream.next(chunk)) }
            try await stream.finish()
            #expect(stream.requests == 3)
            #expect(zip(chunks, received).allSatisfy { SHA256.hash($1) == $0.id && $1.count == $0.length })
            #expect(stream.fetchedBytes == Int64(chunks.reduce(0) { $0 + $1.length }))
        }
    }

    @Test("a window the server refuses fails the stream when it is reached, with the server's answer")
    func refusedWindow() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            for index in 0..<4 { try TestTree.write(source, "f\(index).bin", TestTree.bytes(2_000, seed: UInt64(index + 1))) }
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let api = try server.api(server.acmeToken)
            let page = try await api.pullFeed(client: "acme", query: try #require(ChangesQuery(since: 0, limit: 1000)))
            var chunks = page.events.compactMap(\.file).flatMap(\.chunks).map { ChunkRef(id: ChunkID(words: $0.id.words), length: Int($0.length)) }
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
