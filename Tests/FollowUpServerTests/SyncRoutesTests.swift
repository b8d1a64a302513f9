import ContentStore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SyncProtocol
import Testing
@testable import FollowUpServer

/// The chunk and commit routes of the sync protocol, through the router.
@Suite("Sync routes")
struct SyncRoutesTests {
    let one = Array((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    let two = Array((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })

    func digest(_ bytes: [UInt8]) -> ChunkDigest { ChunkDigest(bytes: SHA256.hash(bytes).bytes)! }

    func frames(_ chunks: [[UInt8]], corrupt: Bool = false) throws -> ByteBuffer {
        var out: [UInt8] = []
        for (i, chunk) in chunks.enumerated() {
            var bytes = chunk
            if corrupt && i == chunks.count - 1 { bytes[0] ^= 0xFF }
            try FrameEncoder.append(id: digest(chunk), bytes: bytes, to: &out)
        }
        return ByteBuffer(bytes: out)
    }

    func list(_ chunks: [[UInt8]]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONEncoder().encode(ChunkListRequest(ids: chunks.map(digest))))
    }

    func commitBody(path: String = "brand/logo é.psd") -> ByteBuffer {
        let file = CommitFile(
            path: path, size: Int64(one.count + two.count), mode: 0o644, mtimeNs: 1_700_000_000_000_000_000,
            sha256: digest(one + two), chunks: [ChunkSpan(id: digest(one), length: Int64(one.count)), ChunkSpan(id: digest(two), length: Int64(two.count))])
        return ByteBuffer(bytes: try! JSONEncoder().encode(CommitRequestBody(files: [file])))
    }

    @Test("missing → upload → commit → fetch: only the owning client may fetch")
    func pushThenFetch() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/v1/chunks/missing", method: .post, headers: .bearer(server.staff), body: list([one, two, one])) { response in
                #expect(response.decoded(MissingChunksResponse.self)?.missing == [digest(one), digest(two)])
            }
            try await client.execute(uri: "/v1/chunks", method: .put, headers: .bearer(server.staff), body: try frames([one, two])) { response in
                #expect(response.status == .ok)
                #expect(response.decoded(UploadResponse.self) == UploadResponse(received: 2, stored: 2, bytes: Int64(one.count + two.count)))
            }
            try await client.execute(uri: "/v1/chunks/missing", method: .post, headers: .bearer(server.staff), body: list([one, two])) { response in
                #expect(response.decoded(MissingChunksResponse.self)?.missing == [])
            }
            // Chunks not referenced by acme's files yet: acme cannot fetch them.
            try await client.execute(uri: "/v1/chunks/fetch", method: .post, headers: .bearer(server.acme), body: list([one])) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: .write(server.staff), body: commitBody()) { response in
                #expect(response.status == .created)
                #expect(response.decoded(CommitResponse.self)?.written == ["brand/logo é.psd"])
            }
            try await client.execute(uri: "/v1/chunks/fetch", method: .post, headers: .bearer(server.acme), body: list([two, one])) { response in
                #expect(response.status == .ok)
                var decoder = FrameDecoder()
                decoder.append(response.body.readableBytesView)
                let first = try decoder.next(), second = try decoder.next()
                #expect(first?.bytes == two && second?.bytes == one)
                #expect(try decoder.next() == nil)
            }
            // Another client's token learns nothing, not even that the chunks exist.
            try await client.execute(uri: "/v1/chunks/fetch", method: .post, headers: .bearer(server.globex), body: list([one])) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/clients/acme/changes", method: .get, headers: .bearer(server.acme)) { response in
                #expect(response.decoded(ChangesResponse.self)?.events.last?.kind == .filePut)
            }
        }
        await server.close()
    }

    @Test("a chunk that does not match its id fails the upload; a commit of unknown chunks is refused")
    func integrity() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/v1/chunks", method: .put, headers: .bearer(server.staff), body: try frames([one, two], corrupt: true)) { response in
                #expect(response.status == .badRequest)
            }
            // The intact first chunk was kept; the corrupt one was not.
            try await client.execute(uri: "/v1/chunks/missing", method: .post, headers: .bearer(server.staff), body: list([one, two])) { response in
                #expect(response.decoded(MissingChunksResponse.self)?.missing == [digest(two)])
            }
            try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: .write(server.staff), body: commitBody()) { response in
                #expect(response.status == .conflict)
            }
            var truncated = try frames([two])
            truncated.moveWriterIndex(to: truncated.writerIndex - 10)
            try await client.execute(uri: "/v1/chunks", method: .put, headers: .bearer(server.staff), body: truncated) { response in
                #expect(response.status == .badRequest)
            }
        }
        await server.close()
    }

    @Test("client tokens may not ask what is missing, upload or commit")
    func roles() async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        try await server.application.test(.router) { client in
            let missing = try await client.execute(uri: "/v1/chunks/missing", method: .post, headers: .bearer(server.acme), body: list([one])) { $0.status }
            let upload = try await client.execute(uri: "/v1/chunks", method: .put, headers: .bearer(server.acme), body: try frames([one])) { $0.status }
            let commitOwn = try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: .write(server.acme), body: commitBody()) { $0.status }
            let commitOther = try await client.execute(uri: "/v1/clients/acme/projects/site/commits", method: .post, headers: .write(server.globex), body: commitBody()) { $0.status }
            #expect(missing == .forbidden && upload == .forbidden && commitOwn == .forbidden)
            #expect(commitOther == .notFound)
        }
        await server.close()
    }
}
