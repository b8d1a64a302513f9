import Foundation
import Hummingbird
import SyncProtocol

/// A JSON response with sorted keys, so bodies are stable for tests, caches
/// and idempotent replays.
func JSONResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    JSONResponse(bytes: try jsonBytes(value), status: status)
}

func JSONResponse(bytes: [UInt8], status: HTTPResponse.Status) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

func jsonBytes(_ value: some Encodable) throws -> [UInt8] {
    if let pieces = value as? any PieceEncodable { return try pieces.jsonBytes() }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value))
}
