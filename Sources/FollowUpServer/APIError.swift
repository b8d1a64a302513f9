import Catalog
import ContentStore
import Foundation
import Hummingbird
import Ledger
import NIOCore
import SyncProtocol

/// An error response: a status and the stable JSON body
/// `{"error": {"code", "message"}}`. Every error leaving the server is one of
/// these (see `ErrorMiddleware`); messages never carry internals.
public struct APIError: HTTPResponseError, Equatable {
    public var status: HTTPResponse.Status
    public var code: ErrorCode
    public var message: String

    public init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { .init(.badRequest, .badRequest, message) }
    public static let unauthorized = APIError(.unauthorized, .unauthorized, "a valid bearer token is required (Authorization: Bearer …)")
    public static func forbidden(_ message: String) -> APIError { .init(.forbidden, .forbidden, message) }
    public static func notFound(_ message: String) -> APIError { .init(.notFound, .notFound, message) }
    public static func conflict(_ message: String) -> APIError { .init(.conflict, .conflict, message) }
    public static func payloadTooLarge(_ message: String) -> APIError { .init(.contentTooLarge, .payloadTooLarge, message) }
    public static func unprocessable(_ code: ErrorCode, _ message: String) -> APIError { .init(.unprocessableContent, code, message) }
    public static let `internal` = APIError(.internalServerError, .internal, "the server could not complete the request; it has been logged")

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse(bytes: try jsonBytes(ErrorBody(code: code, message: message)), status: status)
    }
}

extension APIError {
    /// The response for any error a handler throws. Domain errors map to their
    /// status; anything unexpected is a 500 whose details stay in the log.
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as CatalogError:
            switch error {
            case let .notFound(message): return .notFound(message)
            case let .conflict(message): return .conflict(message)
            case let .invalid(message): return .badRequest(message)
            case .database: return nil
            }
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return .payloadTooLarge("the request body is larger than this route accepts")
            case .notFound: return .notFound("no such route")
            case .methodNotAllowed: return .init(.methodNotAllowed, "method_not_allowed", "this route does not accept that method")
            case .badRequest: return .badRequest("the request is malformed")
            case .unauthorized: return .unauthorized
            default:
                return .init(error.status, ErrorCode(rawValue: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")), error.status.reasonPhrase)
            }
        case let error as LedgerError:
            // The domain refused a valid request: a rule violation, with the domain's own code.
            return .unprocessable(ErrorCode(error.code), error.description)
        case is NIOTooManyBytesError:
            return .payloadTooLarge("the request body is larger than this route accepts")
        case is DecodingError:
            return .badRequest("the request body does not match this route's JSON shape")
        default:
            return nil
        }
    }
}
