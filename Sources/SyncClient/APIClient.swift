import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SyncProtocol

/// Where the server is and who we are to it.
public struct ServerEndpoint: Sendable, Hashable {
    /// Base URL, e.g. `http://127.0.0.1:8080`.
    public var url: String
    public var token: String

    /// Validates the URL's shape; the token is checked by the server.
    public init(url: String, token: String) throws {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let parsed = URL(string: trimmed), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw RemoteError.invalidServer(url)
        }
        guard !token.isEmpty else { throw RemoteError.missingToken }
        self.url = trimmed
        self.token = token
        plainHTTP = PlainHTTPServer(trimmed)
    }

    /// The server's address, when reached over plain `http`.
    let plainHTTP: PlainHTTPServer?
}

/// An `http://` server URL taken apart: where to connect, what to send as `Host`, and the
/// path its requests' paths go under.
struct PlainHTTPServer: Sendable, Hashable {
    var host: String
    var port: Int
    var authority: String
    var pathPrefix: String

    init(host: String, port: Int, authority: String, pathPrefix: String) {
        self.host = host
        self.port = port
        self.authority = authority
        self.pathPrefix = pathPrefix
    }

    init?(_ url: String) {
        guard url.lowercased().hasPrefix("http://"), let parsed = URL(string: url), let host = parsed.host, !host.isEmpty else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        // Credentials in the URL are not sent this way; AsyncHTTPClient takes such a URL.
        guard !rest[..<slash].contains("@") else { return nil }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = parsed.port ?? 80
        authority = String(rest[..<slash])
        pathPrefix = String(rest[slash...])
    }
}

/// What a remote call can fail with. `server` carries the API's own error code
/// and message, which say what to do.
public enum RemoteError: Error, Equatable, CustomStringConvertible {
    case invalidServer(String)
    case missingToken
    case server(status: Int, code: String, message: String)
    case transport(String)
    case badResponse(String)

    public var description: String {
        switch self {
        case let .invalidServer(url): "\(url) is not an http(s) server URL"
        case .missingToken: "no token: pass --token or set FOLLOWUP_TOKEN"
        case let .server(status, code, message): "server said \(status) \(code): \(message)"
        case let .transport(message): "cannot reach the server: \(message)"
        case let .badResponse(message): "unexpected response from the server: \(message)"
        }
    }
}

/// The JSON API of a Follow Up server, as the command line and sync engine use it.
///
/// Mutating calls carry an idempotency key, and are retried with the same key
/// when the connection fails, so a retry never applies a change twice.
public struct APIClient: Sendable {
    public let endpoint: ServerEndpoint
    private let http: HTTPClient
    private let logger: Logger
    /// A whole call, connecting included: AsyncHTTPClient keeps retrying a
    /// refused connection until this deadline.
    private let timeout: Duration
    private static let maxResponseBytes = 64 << 20
    /// The event loop of every streamed response: a pull's overlapping chunk requests are
    /// read by one thread, whose receive buffers are reused, rather than by two (twice the
    /// page faults of fresh buffers).
    private let streamLoop: any EventLoop
    /// What streamed responses over plain `http` read into (see ``SocketResponse``).
    private let receiveBuffers = ReceiveBuffers()

    public init(endpoint: ServerEndpoint, http: HTTPClient = .shared, timeout: Duration = .seconds(30), logger: Logger) {
        self.endpoint = endpoint
        self.http = http
        self.timeout = timeout
        self.logger = logger
        streamLoop = http.eventLoopGroup.any()
    }

    public func health() async throws -> HealthResponse {
        try await send(.GET, "/healthz")
    }

    public func createClient(_ body: CreateClientRequest, idempotencyKey: String = UUID().uuidString) async throws -> ClientInfo {
        try await send(.POST, "/v1/clients", body: body, idempotencyKey: idempotencyKey)
    }

    public func clients() async throws -> [ClientInfo] {
        try await send(.GET, "/v1/clients")
    }

    public func client(_ slug: String) async throws -> ClientInfo {
        try await send(.GET, "/v1/clients/\(Self.escape(slug))")
    }

    public func createProject(client: String, _ body: CreateProjectRequest, idempotencyKey: String = UUID().uuidString) async throws -> ProjectInfo {
        try await send(.POST, "/v1/clients/\(Self.escape(client))/projects", body: body, idempotencyKey: idempotencyKey)
    }

    public func projects(client: String) async throws -> [ProjectInfo] {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/projects")
    }

    public func changes(client: String, query: ChangesQuery) async throws -> ChangesResponse {
        try await send(.GET, "/v1/clients/\(Self.escape(client))/changes?\(query.queryString)")
    }

    // MARK: Transport

    struct NoBody: Encodable {}

    func send<Response: Decodable>(_ method: HTTPMethod, _ path: String) async throws -> Response {
        try await send(method, path, body: Optional<NoBody>.none, idempotencyKey: nil)
    }

    func send<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, body: (some Encodable)?, idempotencyKey: String?
    ) async throws -> Response {
        try await send(method, path, json: try body.map { .bytes(try Self.json($0)) }, idempotencyKey: idempotencyKey)
    }

    /// `json`: a JSON body already made, or to be made as the connection takes it (`.stream`,
    /// whose sequence is iterated afresh if the request is sent again).
    func send<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, json: HTTPClientRequest.Body?, idempotencyKey: String?
    ) async throws -> Response {
        if json == nil, let plain = endpoint.plainHTTP {
            return try await execute(method, path, on: plain, idempotencyKey: idempotencyKey)
        }
        var request = HTTPClientRequest(url: endpoint.url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(endpoint.token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let json {
            request.body = json
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        if let idempotencyKey { request.headers.add(name: IdempotencyHeader.name, value: idempotencyKey) }

        // A connection that drops after the request went out may or may not have
        // been applied: reads are safe to repeat, writes only with their idempotency key.
        return try await execute(request, attempts: (method == .GET || idempotencyKey != nil) ? 3 : 1)
    }

    /// A request's JSON body, with sorted keys; a large one a piece at a time (``PieceEncodable``).
    static func json(_ body: some Encodable) throws -> ByteBuffer {
        if let large = body as? any PieceEncodable { return ByteBuffer(bytes: try large.jsonBytes()) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ByteBuffer(bytes: try encoder.encode(body))
    }

    /// Runs a request, retrying a dropped connection up to `attempts` times in all,
    /// and decodes the JSON answer or the API's error body.
    private func execute<Response: Decodable>(
        _ request: HTTPClientRequest, attempts: Int, timeout: Duration? = nil
    ) async throws -> Response {
        for attempt in 1...attempts {
            do {
                let response = try await http.execute(request, timeout: .init(timeout ?? self.timeout))
                let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
                return try decode(status: Int(response.status.code), body: Data(bytes.readableBytesView))
            } catch let error as RemoteError {
                throw error
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && attempt < attempts {
                logger.debug("connection dropped, retrying", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(200 * attempt))
            } catch {
                throw RemoteError.transport(Self.describe(error))
            }
        }
        throw RemoteError.transport("the connection kept dropping")
    }

    /// A request without a body to an `http` server, over a connection of its own (see
    /// ``SocketResponse``): a pull's first call, its change feed, then starts no event loop
    /// (starting one and connecting through it was 6 ms of the 10 before the feed's answer).
    /// Each call has a connection of its own, so none is found closed by the server between
    /// two calls, the reason to retry one through AsyncHTTPClient's pool.
    private func execute<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, on server: PlainHTTPServer, idempotencyKey: String?
    ) async throws -> Response {
        var headers = HTTPHeaders([("Authorization", "Bearer \(endpoint.token)"), ("Accept", "application/json")])
        if let idempotencyKey { headers.add(name: IdempotencyHeader.name, value: idempotencyKey) }
        let request = SocketResponse.Request(method: method, server: server, target: server.pathPrefix + path, headers: headers, body: nil)
        // Its status is checked there: an error's body is read as the API's error.
        let response = try await SentRequest(sent: StreamedResponse.send(request, buffers: receiveBuffers, timeout: timeout)).response()
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch let error as RemoteError {
            throw error
        } catch {
            throw RemoteError.transport(Self.describe(error))
        }
        return try decode(status: response.status, body: Data(body.readableBytesView))
    }

    /// A binary body (a framed chunk stream); PUT is idempotent, so a dropped connection is retried.
    func sendRaw<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, body: HTTPClientRequest.Body, attempts: Int, timeout: Duration? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: endpoint.url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(endpoint.token)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = body
        return try await execute(request, attempts: attempts, timeout: timeout ?? self.timeout)
    }

    /// A POST with a JSON body whose answer is a binary stream, read as it arrives
    /// (the chunk fetch). `timeout` covers the whole transfer.
    func stream(_ path: String, body: some Encodable, timeout: Duration) async throws -> StreamedResponse.Body {
        try await stream(.POST, path, body: body, timeout: timeout).body
    }

    /// A request whose answer is read as it arrives, ahead of the caller (see
    /// ``StreamedResponse``); the status is checked, the headers and body are the caller's.
    func stream(_ method: HTTPMethod, _ path: String, body: (some Encodable)?, timeout: Duration) async throws -> StreamedResponse {
        try await send(method, path, body: body, timeout: timeout).response()
    }

    /// ``stream(_:_:body:timeout:)`` in two steps: the request goes now, its answer is
    /// awaited (and its status checked) by ``SentRequest/response()``.
    func send(
        _ method: HTTPMethod, _ path: String, body: (some Encodable)?, timeout: Duration, readAhead: Int = StreamedResponse.readAheadBytes
    ) throws -> SentRequest {
        var headers = HTTPHeaders([("Authorization", "Bearer \(endpoint.token)")])
        var json: ByteBuffer?
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            json = try Self.json(body)
        }
        if let plain = endpoint.plainHTTP {
            // A connection and a thread of its own (see `SocketResponse`); TLS goes through the client.
            let request = SocketResponse.Request(
                method: method, server: plain, target: plain.pathPrefix + path, headers: headers, body: json)
            return SentRequest(sent: StreamedResponse.send(request, buffers: receiveBuffers, timeout: self.timeout, readAhead: readAhead))
        }
        do {
            let request = try HTTPClient.Request(url: endpoint.url + path, method: method, headers: headers, body: json.map { .byteBuffer($0) })
            return SentRequest(sent: StreamedResponse.send(
                request, on: http, eventLoop: streamLoop, deadline: .now() + .init(timeout), headTimeout: self.timeout,
                readAhead: readAhead))
        } catch {
            throw RemoteError.transport(Self.describe(error))
        }
    }

    /// Lets go of the buffers kept for the next streamed response (a few MB).
    func releaseReceiveBuffers() {
        receiveBuffers.releaseAll()
    }

    /// A request on its way (see ``send(_:_:body:timeout:)``).
    struct SentRequest: Sendable {
        fileprivate let sent: StreamedResponse.Sent

        /// See ``StreamedResponse/Sent/response(readAhead:)``.
        func response(readAhead: Int? = nil) async throws -> StreamedResponse {
            let response: StreamedResponse
            do {
                response = try await sent.response(readAhead: readAhead)
            } catch {
                throw RemoteError.transport(APIClient.describe(error))
            }
            guard (200..<300).contains(response.status) else {
                let bytes = try? await response.body.collect(upTo: 1 << 20)
                throw APIClient.serverError(status: response.status, body: Data(bytes?.readableBytesView ?? ByteBuffer().readableBytesView))
            }
            return response
        }
    }

    private static func serverError(status: Int, body: Data) -> RemoteError {
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: body) {
            return RemoteError.server(status: status, code: error.error.code.rawValue, message: error.error.message)
        }
        return RemoteError.server(status: status, code: "http_\(status)", message: "no error details")
    }

    private func decode<Response: Decodable>(status: Int, body: Data) throws -> Response {
        guard (200..<300).contains(status) else { throw Self.serverError(status: status, body: body) }
        if let list = Response.self as? any CompactJSONDecodable.Type,
           let value = body.withUnsafeBytes({ list.compactJSON($0) }) as? Response
        {
            return value
        }
        do {
            return try JSONDecoder().decode(Response.self, from: body)
        } catch {
            throw RemoteError.badResponse("the body is not the expected JSON")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .connectTimeout: return "no answer in time (is the server running at that address?)"
            default: return "\(error)"
            }
        }
        return String(describing: error)
    }

    /// Path segments from user input are percent-encoded, never spliced raw.
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? segment
    }
}
