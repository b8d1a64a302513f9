import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import Testing
@testable import FollowUpServer

@Suite("HTTP API")
struct APITests {
    @Test("healthz answers without a token; metrics render in Prometheus format")
    func healthAndMetrics() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.decoded(HealthResponse.self)?.status == "ok")
                #expect(response.headers[.requestID] != nil)
            }
            try await client.execute(uri: "/v1/clients", method: .get, headers: .bearer(server.admin)) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("followup_http_requests_total"))
                #expect(response.text.contains(#"route="/v1/clients""#))
                #expect(response.text.contains("followup_store_bytes"))
            }
        }
        await server.close()
    }

    @Test("no token, a malformed one or an unknown one is 401 with a JSON error")
    func unauthorized() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer "], [.authorization: "Basic abc"], .bearer("fu_not-a-token")] {
                try await client.execute(uri: "/v1/clients", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode == "unauthorized")
                }
            }
        }
        await server.close()
    }

    @Test("an admin creates a client; the same idempotency key replays, a different body conflicts")
    func createClientIdempotently() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            let body = #"{"slug":"initech","name":"Initech","plan":"monthly","rate_cents":7000}"#
            let headers = HTTPFields.bearer(server.admin, [.idempotencyKey: "k-1"])
            let first = try await client.execute(uri: "/v1/clients", method: .post, headers: headers, body: jsonBody(body)) { response in
                #expect(response.status == .created)
                return try response.decode(ClientInfo.self)
            }
            #expect(first.slug == "initech" && first.plan == "monthly" && first.rateCents == 7000)
            try await client.execute(uri: "/v1/clients", method: .post, headers: headers, body: jsonBody(body)) { response in
                #expect(response.status == .created)
                #expect(response.decoded(ClientInfo.self) == first)
            }
            try await client.execute(uri: "/v1/clients", method: .post, headers: headers, body: jsonBody(#"{"slug":"other","name":"Other"}"#)) { response in
                #expect(response.status == .conflict)
            }
            // A new key for the same slug is a plain conflict.
            try await client.execute(uri: "/v1/clients", method: .post, headers: .write(server.admin), body: jsonBody(body)) { response in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "conflict")
            }
            // Without a key the change is refused before anything happens.
            try await client.execute(uri: "/v1/clients", method: .post, headers: .bearer(server.admin), body: jsonBody(#"{"slug":"nokey","name":"No key"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "idempotency_key_required")
            }
        }
        #expect(try await server.storage.catalog.clients().map(\.slug) == ["acme", "globex", "initech"])
        await server.close()
    }

    @Test("bad client bodies are 400 with a message, never internals", arguments: [
        #"{"slug":"Bad Slug","name":"x"}"#, #"{"slug":"ok"}"#, #"not json"#, #"{"slug":"ok","name":"x","plan":"weekly"}"#,
        #"{"slug":"ok","name":"x","rate_cents":-5}"#,
    ])
    func badClientBodies(body: String) async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/v1/clients", method: .post, headers: .write(server.admin), body: jsonBody(body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "bad_request")
                #expect(!response.text.contains("Swift"))
                #expect(!response.text.contains("SQL"))
            }
        }
        await server.close()
    }

    @Test("deeply nested JSON and oversized bodies are refused")
    func limits() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
            try await client.execute(uri: "/v1/clients", method: .post, headers: .write(server.admin), body: jsonBody(deep)) { response in
                #expect(response.status == .badRequest)
            }
            let huge = #"{"slug":"x","name":""# + String(repeating: "a", count: 2 << 20) + #""}"#
            try await client.execute(uri: "/v1/clients", method: .post, headers: .write(server.admin), body: jsonBody(huge)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == "payload_too_large")
            }
            try await client.execute(uri: "/v1/clients/" + String(repeating: "a", count: 3000), method: .get, headers: .bearer(server.admin)) { response in
                #expect(response.status == .uriTooLong)
            }
            try await client.execute(uri: "/v1/nothing-here", method: .get, headers: .bearer(server.admin)) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "not_found")
            }
        }
        await server.close()
    }

    @Test("staff create projects with phases; the client sees them and an event in its feed")
    func projectsAndFeed() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            let body = #"{"slug":"site","title":"New website","phases":["design","build"]}"#
            try await client.execute(uri: "/v1/clients/acme/projects", method: .post, headers: .bearer(server.staff, [.idempotencyKey: "p-1"]), body: jsonBody(body)) { response in
                #expect(response.status == .created)
                let project = try response.decode(ProjectInfo.self)
                #expect(project.phases == ["design", "build"] && project.client == "acme")
            }
            try await client.execute(uri: "/v1/clients/acme/projects", method: .post, headers: .write(server.staff), body: jsonBody(body)) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/v1/clients/nobody/projects", method: .post, headers: .write(server.staff), body: jsonBody(body)) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/clients/acme/projects", method: .get, headers: .bearer(server.acme)) { response in
                #expect(response.status == .ok)
                #expect(response.decoded([ProjectInfo].self)?.map(\.slug) == ["site"])
            }
            try await client.execute(uri: "/v1/clients/acme/projects/site", method: .get, headers: .bearer(server.acme)) { response in
                #expect(response.decoded(ProjectInfo.self)?.title == "New website")
            }
            try await client.execute(uri: "/v1/clients/acme/changes?since=0", method: .get, headers: .bearer(server.acme)) { response in
                let page = try response.decode(ChangesResponse.self)
                #expect(page.events.map(\.seq) == [1])
                #expect(page.events.first?.kind == .projectState && page.events.first?.project == "site")
                #expect(page.next == 1 && !page.more)
            }
            try await client.execute(uri: "/v1/clients/acme/changes?since=1", method: .get, headers: .bearer(server.acme)) { response in
                let page = try response.decode(ChangesResponse.self)
                #expect(page.events.isEmpty && page.next == 1 && !page.more)
            }
            try await client.execute(uri: "/v1/clients/acme/changes?since=-3", method: .get, headers: .bearer(server.acme)) { response in
                #expect(response.status == .badRequest)
            }
        }
        await server.close()
    }

    @Test("a client cannot create clients or projects (403), nor use the token route")
    func clientRoleForbidden() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/v1/clients", method: .post, headers: .write(server.acme), body: jsonBody(#"{"slug":"x","name":"x"}"#)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/clients/acme/projects", method: .post, headers: .write(server.acme), body: jsonBody(#"{"slug":"x","title":"x"}"#)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/clients", method: .post, headers: .write(server.staff), body: jsonBody(#"{"slug":"x","name":"x"}"#)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/tokens", method: .post, headers: .write(server.staff), body: jsonBody(#"{"name":"x","role":"admin"}"#)) { response in
                #expect(response.status == .forbidden)
            }
        }
        await server.close()
    }

    struct Created: Decodable { let token: String }

    @Test("an admin creates tokens through the API; the new token works")
    func tokenRoute() async throws {
        let server = try await TestServer.make()
        try await server.application.test(.router) { client in
            let created = try await client.execute(uri: "/v1/tokens", method: .post, headers: .bearer(server.admin),
                                                   body: jsonBody(#"{"name":"reader","role":"client","client":"acme"}"#)) { response in
                #expect(response.status == .created)
                return try response.decode(Created.self)
            }
            let token = created.token
            try await client.execute(uri: "/v1/clients/acme", method: .get, headers: .bearer(token)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/tokens", method: .post, headers: .bearer(server.admin),
                                     body: jsonBody(#"{"name":"reader","role":"client","client":"nobody"}"#)) { response in
                #expect(response.status == .notFound)
            }
        }
        await server.close()
    }
}
