import ContentStore
import Foundation
import Hummingbird
import NIOCore

/// A JSON request body, read once: the bytes (for the idempotency hash) and
/// the decoded value. Size is bounded by the context, nesting by `maxDepth`.
struct JSONBody<Value: Decodable & Sendable>: Sendable {
    static var maxDepth: Int { 32 }

    let bytes: [UInt8]
    let value: Value

    /// `emptyAllowed`: an empty body reads as `{}` (actions whose body is optional).
    /// `limit`: the largest body accepted (default: the context's, 1 MiB).
    init(_ request: Request, context: some RequestContext, emptyAllowed: Bool = false, limit: Int? = nil) async throws {
        let limit = limit ?? context.maxUploadSize
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge("the request body is larger than \(limit) bytes")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge("the request body is larger than \(limit) bytes")
        }
        bytes = emptyAllowed && buffer.readableBytes == 0 ? Array("{}".utf8) : Array(buffer.readableBytesView)
        guard Self.depth(of: bytes) <= Self.maxDepth else {
            throw APIError.badRequest("the JSON body is nested deeper than \(Self.maxDepth) levels")
        }
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw APIError.badRequest("the request body does not match this route's JSON shape")
        }
    }

    /// The deepest nesting of objects and arrays, ignoring brackets inside strings.
    static func depth(of bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
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
        return deepest
    }

    /// What an idempotency key is bound to: the method, the path and the exact body.
    func requestHash(_ request: Request) -> [UInt8] {
        let hasher = SHA256()
        hasher.update(Array("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        hasher.update(bytes)
        return hasher.finalize().bytes
    }
}
