import ContentStore
import Foundation
import Hummingbird
import NIOCore
import SyncProtocol

/// A JSON request body, read once: the bytes (for the idempotency hash) and
/// the decoded value. Size is bounded by the context, nesting by `JSONRequest.maxDepth`.
struct JSONBody<Value: Decodable & Sendable>: Sendable {
    let value: Value
    /// The body's size in bytes.
    let size: Int
    /// What an idempotency key is bound to: the SHA-256 of the method, the path and the exact body.
    let requestHash: [UInt8]

    /// `emptyAllowed`: an empty body reads as `{}` (actions whose body is optional).
    /// `limit`: the largest body accepted (default: the context's, 1 MiB).
    init(_ request: Request, context: some RequestContext, emptyAllowed: Bool = false, limit: Int? = nil) async throws {
        let limit = limit ?? context.maxUploadSize
        var buffer = try await JSONRequest.reading(limit: limit) { try await request.body.collect(upTo: limit) }
        if emptyAllowed && buffer.readableBytes == 0 { buffer = ByteBuffer(string: "{}") }
        size = buffer.readableBytes
        // Checked, hashed and decoded where it arrived: a commit of 100,000 files is tens
        // of MB, and each copy of it would count.
        let hasher = JSONRequest.hasher(for: request)
        let decoded: Value? = try buffer.withUnsafeReadableBytes { raw in
            guard Self.depth(of: raw) <= JSONRequest.maxDepth else { throw JSONRequest.tooDeep }
            hasher.update(raw)
            if let list = Value.self as? any CompactJSONDecodable.Type, let value = list.compactJSON(raw) as? Value { return value }
            guard let base = raw.baseAddress else { return try? JSONDecoder().decode(Value.self, from: Data()) }
            return try? JSONDecoder().decode(Value.self, from: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none))
        }
        guard let decoded else { throw JSONRequest.wrongShape }
        value = decoded
        requestHash = hasher.finalize().bytes
    }

    /// The deepest nesting of objects and arrays, ignoring brackets inside strings.
    static func depth(of bytes: some Sequence<UInt8>) -> Int {
        var depth = JSONDepth()
        depth.scan(bytes)
        return depth.deepest
    }
}

/// What every JSON request body shares, whether it is read whole (``JSONBody``) or as it
/// arrives (``CommitBody``): its limits, their errors, and the hash an idempotency key is
/// bound to.
enum JSONRequest {
    /// The deepest nesting of objects and arrays accepted.
    static let maxDepth = 32

    static let tooDeep = APIError.badRequest("the JSON body is nested deeper than \(maxDepth) levels")
    static let wrongShape = APIError.badRequest("the request body does not match this route's JSON shape")

    static func tooLarge(_ limit: Int) -> APIError {
        .payloadTooLarge("the request body is larger than \(limit) bytes")
    }

    /// Runs `read`, which reads a body of at most `limit` bytes, and answers a larger one as 413.
    static func reading<T>(limit: Int, _ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        }
    }

    /// The hash an idempotency key is bound to, begun with the method and the path: the
    /// caller adds the exact body.
    static func hasher(for request: Request) -> SHA256 {
        let hasher = SHA256()
        hasher.update(Array("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        return hasher
    }
}

/// The nesting of a JSON text read piece by piece (see ``JSONBody/depth(of:)``).
struct JSONDepth {
    private(set) var deepest = 0
    private var depth = 0, inString = false, escaped = false

    mutating func scan(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }
}
