import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncProtocol

/// The sync half of the API: chunk lists, framed uploads, commits, file lists.
extension APIClient {
    public func missingChunks(_ ids: [ChunkDigest]) async throws -> [ChunkDigest] {
        let response: MissingChunksResponse = try await send(.POST, "/v1/chunks/missing", body: ChunkListRequest(ids: ids), idempotencyKey: nil)
        return response.missing
    }

    /// Uploads one framed batch. Safe to repeat: chunks the server has are skipped there.
    public func uploadChunks(_ frames: [UInt8]) async throws -> UploadResponse {
        try await sendRaw(.PUT, "/v1/chunks", body: .bytes(ByteBuffer(bytes: frames)), attempts: 3)
    }

    /// Uploads frames as `frames` produces them, in one streamed request (not retried
    /// here: the sequence is spent; the caller asks again which chunks are missing).
    public func uploadChunks<Frames: AsyncSequence & Sendable>(
        streaming frames: Frames, timeout: Duration = .seconds(600)
    ) async throws -> UploadResponse where Frames.Element == ByteBuffer {
        try await sendRaw(.PUT, "/v1/chunks", body: .stream(frames, length: .unknown), attempts: 1, timeout: timeout)
    }

    public func commit(client: String, project: String, _ body: CommitRequestBody, idempotencyKey: String = UUID().uuidString) async throws -> CommitResponse {
        try await commit(client: client, project: project, CommitBodyWriter(body), idempotencyKey: idempotencyKey)
    }

    /// A commit whose body is written as the connection takes it (see ``CommitBodyWriter``):
    /// the request never exists whole. A dropped connection sends it again, made afresh.
    public func commit(client: String, project: String, _ body: CommitBodyWriter, idempotencyKey: String = UUID().uuidString) async throws -> CommitResponse {
        try await send(
            .POST, "/v1/clients/\(Self.escape(client))/projects/\(Self.escape(project))/commits",
            json: .stream(CommitBodyStream(writer: body), length: .unknown), idempotencyKey: idempotencyKey)
    }

    /// Files per page of ``files(client:project:)``.
    public static let filesPerPage = 10_000

    /// The project's live files, in path order, read a page at a time: the whole list of a
    /// large project as one JSON document would cost several times its size to decode.
    public func files(client: String, project: String, pageSize: Int = filesPerPage) async throws -> [RemoteFile] {
        let base = "/v1/clients/\(Self.escape(client))/projects/\(Self.escape(project))/files?limit=\(pageSize)"
        var files: [RemoteFile] = []
        while true {
            let page: [RemoteFile] = try await send(.GET, base + (files.last.map { "&after=" + Self.escape($0.path) } ?? ""))
            files += page
            if page.count < pageSize { return files }
        }
    }

    /// `POST /v1/chunks/fetch`: the chunks in the order asked, as a framed stream to read
    /// as it arrives. With `compression`, frames may come deflated (see ``ChunkCompression``).
    public func fetchChunks(_ ids: [ChunkDigest], compression: Bool) async throws -> StreamedResponse.Body {
        try await sendFetch(ids, compression: compression).response().body
    }

    /// ``fetchChunks(_:compression:)``, sent now and awaited later: the server looks up the
    /// ids of one request while the chunks of another arrive. The connection reads up to
    /// `readAhead` of it ahead until its response is awaited.
    func sendFetch(_ ids: [ChunkDigest], compression: Bool, readAhead: Int = StreamedResponse.readAheadBytes) throws -> SentRequest {
        try send(
            .POST, "/v1/chunks/fetch", body: ChunkListRequest(ids: ids, compression: compression ? ChunkCompression.deflate : nil),
            timeout: .seconds(600), readAhead: readAhead)
    }

    /// `GET /v1/clients/{c}/export.tar`: the tar as it is written, with the feed position
    /// it shows and the bytes of file content it holds (for a progress bar).
    public func export(client: String, project: String?, at position: Int64?) async throws
        -> (body: StreamedResponse.Body, position: Int64?, contentBytes: Int64?)
    {
        var query: [String] = []
        if let project { query.append("project=\(Self.escape(project))") }
        if let position { query.append("at=\(position)") }
        let path = "/v1/clients/\(Self.escape(client))/export.tar" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await stream(.GET, path, body: Optional<NoBody>.none, timeout: .seconds(24 * 3600))
        return (
            response.body, response.headers.first(name: "X-Followup-Position").flatMap { Int64($0) },
            response.headers.first(name: "X-Followup-Content-Bytes").flatMap { Int64($0) })
    }
}

/// A commit body as pieces of about 256 KiB, each made when the connection asks for it.
struct CommitBodyStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    static let pieceBytes = 256 << 10

    let writer: CommitBodyWriter

    func makeAsyncIterator() -> Iterator { Iterator(writer: writer) }

    struct Iterator: AsyncIteratorProtocol {
        var writer: CommitBodyWriter

        mutating func next() async throws -> ByteBuffer? {
            try writer.nextPiece(minimumBytes: CommitBodyStream.pieceBytes).map { ByteBuffer(bytes: $0) }
        }
    }
}
