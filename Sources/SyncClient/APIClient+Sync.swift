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
        try await sendRaw(.PUT, "/v1/chunks", body: frames)
    }

    public func commit(client: String, project: String, _ body: CommitRequestBody, idempotencyKey: String = UUID().uuidString) async throws -> CommitResponse {
        try await send(.POST, "/v1/clients/\(Self.escape(client))/projects/\(Self.escape(project))/commits", body: body, idempotencyKey: idempotencyKey)
    }

    public func files(client: String, project: String) async throws -> [RemoteFile] {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/projects/\(Self.escape(project))/files")
    }
}
