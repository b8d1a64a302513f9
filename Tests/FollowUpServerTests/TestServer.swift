import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import FollowUpServer

/// A storage in a temporary directory with two clients and a token of every
/// kind, and the application built over it.
struct TestServer: Sendable {
    let directory: TemporaryDirectory
    let storage: Storage
    let configuration: FollowUpConfiguration
    let admin: String
    let staff: String
    /// Bound to client "acme".
    let acme: String
    /// Bound to client "globex".
    let globex: String

    static func make() async throws -> TestServer {
        let directory = try TemporaryDirectory()
        var configuration = FollowUpConfiguration()
        configuration.storagePath = directory.path + "/storage"
        configuration.packSize = 1 << 20
        let (storage, admin) = try await Storage.initialize(configuration, logger: quietLogger())
        _ = try await storage.catalog.createClient(slug: "acme", name: "Acme S.r.l.", plan: .monthly, rateCents: nil)
        _ = try await storage.catalog.createClient(slug: "globex", name: "Globex", plan: .oneTime, rateCents: 5000)
        let staff = try await storage.catalog.createToken(name: "staff", role: .staff).secret
        let acme = try await storage.catalog.createToken(name: "acme", role: .client, client: "acme").secret
        let globex = try await storage.catalog.createToken(name: "globex", role: .client, client: "globex").secret
        return TestServer(directory: directory, storage: storage, configuration: configuration, admin: admin, staff: staff, acme: acme, globex: globex)
    }

    var application: some ApplicationProtocol {
        buildApplication(storage: storage, configuration: configuration, logger: quietLogger())
    }

    func close() async { await storage.close() }
}

extension HTTPFields {
    static func bearer(_ token: String, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)"]
        for (name, value) in extra { fields[name] = value }
        return fields
    }
}

extension HTTPFields {
    /// A bearer token and a fresh idempotency key, as every change needs.
    static func write(_ token: String) -> HTTPFields {
        bearer(token, [.idempotencyKey: UUID().uuidString])
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let requestID = HTTPField.Name("X-Request-Id")!
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

extension TestResponse {
    /// The `code` of an error body.
    var errorCode: String? {
        struct Body: Decodable { struct Detail: Decodable { let code: String; let message: String }; let error: Detail }
        return try? JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)).error.code
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    /// For use inside `#expect`, whose expansion hides a `try` from closure inference.
    func decoded<T: Decodable>(_ type: T.Type) -> T? {
        try? decode(type)
    }

    var text: String { String(buffer: body) }
}
