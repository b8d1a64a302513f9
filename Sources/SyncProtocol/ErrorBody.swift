/// The body of every error response: `{"error": {"code": "…", "message": "…"}}`.
///
/// `code` is stable, for programs to branch on; `message` is for people and says what to
/// do. Neither ever carries internals (paths, SQL, stack traces).
public struct ErrorBody: Codable, Hashable, Sendable {
    public var error: Detail

    public init(code: ErrorCode, message: String) {
        self.error = Detail(code: code, message: message)
    }

    public struct Detail: Codable, Hashable, Sendable {
        public var code: ErrorCode
        public var message: String

        public init(code: ErrorCode, message: String) {
            self.code = code
            self.message = message
        }

        private enum CodingKeys: String, CodingKey {
            case code, message
        }
    }

    private enum CodingKeys: String, CodingKey {
        case error
    }
}

/// A stable, snake_case error code. Open for extension: modules add their domain codes
/// (`ErrorCode("overage_refused")`) beside these generic ones.
public struct ErrorCode: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let badRequest: ErrorCode = "bad_request"
    public static let unauthorized: ErrorCode = "unauthorized"
    public static let forbidden: ErrorCode = "forbidden"
    public static let notFound: ErrorCode = "not_found"
    /// An idempotency key reused with a different request body, or a state that forbids the change.
    public static let conflict: ErrorCode = "conflict"
    public static let payloadTooLarge: ErrorCode = "payload_too_large"
    public static let `internal`: ErrorCode = "internal"
}
