import Catalog
import ContentStore
import Foundation
import Hummingbird
import SyncProtocol

/// The chunk half of the sync protocol: staff ask which chunks are missing and
/// upload them as one framed stream; anyone fetches chunks as one framed stream,
/// a client token only those its own client's files reference.
struct ChunkController {
    let storage: Storage

    /// Ids per request: a hex id is ~67 bytes of JSON, so this stays under the 8 MiB list limit.
    static let maxIDs = 100_000
    static let listLimit = 8 << 20
    /// Frames go out in writes of at least this much. Their buffers (this, plus a frame)
    /// stay under glibc's mmap threshold (`MallocTuning`), so one request's freed buffers
    /// serve the next instead of fresh mappings faulted in page by page (6% of the server's
    /// time in a pull, with 1 MiB writes).
    static let sendBytes = 512 << 10

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("missing", use: missing)
            .put(use: upload)
            .post("fetch", use: fetch)
    }

    /// Staff only: telling a client which chunks exist would reveal what other clients have.
    @Sendable func missing(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, .staff)
        let ids = try await Self.ids(request, context: context)
        let present = try await storage.catalog.indexedChunks(among: ids)
        // Present chunks are about to be referenced by a commit: spare them from gc meanwhile.
        try await storage.catalog.touch(Array(present), at: Date())
        var seen = Set<ChunkID>()
        let missing = ids.filter { !present.contains($0) && seen.insert($0).inserted }
        return try JSONResponse(MissingChunksResponse(missing: missing.map { ChunkDigest(words: $0.words) }))
    }

    /// Staff only: a stream of `[id][u32 length][bytes]` frames. Every chunk is
    /// re-hashed; a mismatch fails the upload with 400 (chunks stored before it
    /// stay, unreferenced, so a retry need not send them again).
    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, .staff)
        let session = try await storage.store.writeSession()
        var decoder = FrameDecoder(maxFrameLength: storage.store.configuration.chunker.maxSize)
        var received = 0, stored = 0
        var bytes: Int64 = 0
        // What a push's uploads leave in the allocator's arenas would add to its commit's peak.
        var size = 0
        defer { MemoryRelease.afterRequest(ofSize: size) }
        // Frames are checked two at a time: the SHA instructions hash two messages
        // nearly half again as fast as one after the other.
        func accept(_ frame: ChunkFrame, _ id: ChunkID) async throws {
            guard ChunkDigest(words: id.words) == frame.id else {
                throw APIError.badRequest("chunk \(frame.id.hex) does not match its content; the upload stopped there")
            }
            received += 1
            if try await session.put(frame.bytes, id: id) {
                stored += 1
                bytes += Int64(frame.bytes.count)
            }
        }
        var waiting: ChunkFrame?
        do {
            for try await buffer in request.body {
                size += buffer.readableBytes
                decoder.append(buffer.readableBytesView)
                while let frame = try Self.next(&decoder) {
                    guard let first = waiting else {
                        waiting = frame
                        continue
                    }
                    waiting = nil
                    let ids = first.bytes.withUnsafeBytes { a in frame.bytes.withUnsafeBytes { b in SHA256.hash(a, b) } }
                    try await accept(first, ids.0)
                    try await accept(frame, ids.1)
                }
            }
            if let last = waiting { try await accept(last, SHA256.hash(last.bytes)) }
            do { try decoder.finish() } catch { throw APIError.badRequest("the chunk stream ends in the middle of a frame") }
            try await session.finish()
        } catch {
            // Seal what arrived intact, so a retry after a broken connection skips it.
            if let last = waiting { try? await accept(last, SHA256.hash(last.bytes)) }
            try? await session.finish()
            throw error
        }
        return try JSONResponse(UploadResponse(received: received, stored: stored, bytes: bytes))
    }

    /// The requested chunks, in order, as one framed stream. A client token gets
    /// 404 unless every id is referenced by one of its own files.
    @Sendable func fetch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let list = try await Self.list(request, context: context)
        let ids = list.ids
        let compress: Bool
        switch list.compression {
        case nil: compress = false
        case ChunkCompression.deflate?: compress = true
        case let other?: throw APIError.badRequest("unknown compression \(other.prefix(20)); the server offers \(ChunkCompression.deflate)")
        }
        let visible: Set<ChunkID>
        if identity.role == .client, let client = identity.token.client {
            visible = try await storage.catalog.chunksVisible(to: client, among: ids)
        } else {
            visible = try await storage.catalog.indexedChunks(among: ids)
        }
        guard ids.allSatisfy(visible.contains) else {
            throw APIError.notFound("\(ids.filter { !visible.contains($0) }.count) of the requested chunks do not exist")
        }
        let store = storage.store
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream"],
            body: ResponseBody { writer in
                // Not re-hashed here: the client checks every file's SHA-256 before it
                // uses it, and `followup verify` checks the packs.
                // Frames go out in writes of about 1 MiB: one write per 64 KiB chunk costs
                // more in hand-offs to the event loop than the copy into a larger buffer.
                let pending = PendingBuffer(capacity: Self.sendBytes + ChunkFrame.headerSize + store.configuration.chunker.maxSize + (64 << 10))
                try await store.read(ids, verify: false) { id, chunk in
                    let deflated = compress ? ChunkCompression.compress(chunk) : nil
                    let body = deflated ?? chunk
                    pending.append(try FrameEncoder.header(
                        id: ChunkDigest(words: id.words), length: body.count, compressed: deflated != nil))
                    pending.append(body)
                    try await pending.send(to: &writer, atLeast: Self.sendBytes)
                }
                try await pending.send(to: &writer, atLeast: 1)
                try await writer.finish(nil)
            })
    }

    private static func ids(_ request: Request, context: AppRequestContext) async throws -> [ChunkID] {
        try await list(request, context: context).ids
    }

    private static func list(_ request: Request, context: AppRequestContext) async throws -> (ids: [ChunkID], compression: String?) {
        let body = try await JSONBody<ChunkListRequest>(request, context: context, limit: listLimit)
        guard body.value.ids.count <= maxIDs else { throw APIError.payloadTooLarge("at most \(maxIDs) ids per request") }
        return (body.value.ids.map { ChunkID(words: $0.words) }, body.value.compression)
    }

    private static func next(_ decoder: inout FrameDecoder) throws -> ChunkFrame? {
        do { return try decoder.next() } catch { throw APIError.badRequest("the chunk stream is malformed: \(error)") }
    }
}
