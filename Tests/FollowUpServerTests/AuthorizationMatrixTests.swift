import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import Testing
@testable import FollowUpServer

/// Every read route × admin, staff, client of acme, client of globex: client
/// globex can neither read acme's data nor learn that it exists (the answer
/// for acme is the same 404 as for a client that does not exist).
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable { case admin, staff, acme, globex }

    static let routes = [
        "/v1/clients/acme", "/v1/clients/acme/projects", "/v1/clients/acme/projects/site", "/v1/clients/acme/changes",
    ]

    func token(_ caller: Caller, _ server: TestServer) -> String {
        switch caller {
        case .admin: server.admin
        case .staff: server.staff
        case .acme: server.acme
        case .globex: server.globex
        }
    }

    @Test("read routes of acme", arguments: Caller.allCases)
    func readRoutes(caller: Caller) async throws {
        let server = try await TestServer.make()
        _ = try await server.storage.catalog.createProject(client: "acme", slug: "site", title: "Site")
        try await server.application.test(.router) { client in
            for route in Self.routes {
                let status = try await client.execute(uri: route, method: .get, headers: .bearer(token(caller, server))) { $0.status }
                let body = try await client.execute(uri: route, method: .get, headers: .bearer(token(caller, server))) { $0.text }
                if caller == .globex {
                    #expect(status == .notFound, "\(route)")
                    // Same answer as for a client that does not exist, so nothing leaks.
                    let ghost = route.replacingOccurrences(of: "acme", with: "ghost")
                    let ghostBody = try await client.execute(uri: ghost, method: .get, headers: .bearer(token(caller, server))) { $0.text }
                    #expect(body.replacingOccurrences(of: "acme", with: "ghost") == ghostBody, "\(route)")
                    #expect(!body.contains("Site"))
                } else {
                    #expect(status == .ok, "\(route) as \(caller)")
                }
            }
            // The client list shows a client token its own client only.
            let listed = try await client.execute(uri: "/v1/clients", method: .get, headers: .bearer(token(caller, server))) {
                try $0.decode([ClientInfo].self).map(\.slug)
            }
            switch caller {
            case .admin, .staff: #expect(listed == ["acme", "globex"])
            case .acme: #expect(listed == ["acme"])
            case .globex: #expect(listed == ["globex"])
            }
        }
        await server.close()
    }

    @Test("write routes of acme", arguments: Caller.allCases)
    func writeRoutes(caller: Caller) async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            let status = try await client.execute(
                uri: "/v1/clients/acme/projects", method: .post, headers: .write(token(caller, server)),
                body: jsonBody(#"{"slug":"new","title":"New"}"#)) { $0.status }
            switch caller {
            case .admin, .staff: #expect(status == .created)
            case .acme: #expect(status == .forbidden)
            case .globex: #expect(status == .notFound)
            }
        }
        await server.close()
    }
}

@Suite("Live server on a loopback port")
struct LiveServerTests {
    @Test("the API answers over real HTTP, errors included")
    func live() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/clients/acme/projects", method: .post, headers: .bearer(server.staff, [.idempotencyKey: "live-1"]),
                                     body: jsonBody(#"{"slug":"site","title":"Site"}"#)) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/clients/acme/changes", method: .get, headers: .bearer(server.acme)) { response in
                #expect(response.decoded(ChangesResponse.self)?.events.count == 1)
            }
            try await client.execute(uri: "/v1/clients/acme/changes", method: .get, headers: .bearer(server.globex)) { response in
                #expect(response.status == .notFound)
            }
        }
        await server.close()
    }
}
