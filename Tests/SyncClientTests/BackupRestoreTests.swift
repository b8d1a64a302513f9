import Catalog
import ContentStore
import FollowUpServer
import Foundation
import Ledger
import Testing
@testable import SyncClient

@Suite("Backup and restore of a whole storage")
struct BackupRestoreTests {
    @Test("backup while serving, restore into a new storage: verify passes and a pull gives the same tree and ledger")
    func roundTrip() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try TestTree.write(source, "video/master.mov", TestTree.bytes(600_000, seed: 1))
            try TestTree.write(source, "brand/logo é.png", TestTree.bytes(30_000, seed: 2))
            try TestTree.write(source, "empty.txt", [])
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let log = HourLog(minutes: Minutes(45), service: "design", phase: nil, note: "round 1", staff: "ann")
            _ = try await server.storage.catalog.logHours(client: "acme", project: "site", log: log, alertThresholds: [])
            let original = server.root + "/original"
            _ = try await server.puller(server.acmeToken).pull(folder: original, client: "acme")

            let tar = server.root + "/backup.tar"
            let written = try await server.storage.backup(to: tar)
            #expect(written.packs > 0 && written.rows > 0)

            var configuration = server.configuration
            configuration.storagePath = server.root + "/restored"
            let restored = try await Storage.restore(from: tar, configuration: configuration, logger: LiveServer.quietLogger())
            #expect(restored.packs == written.packs && restored.rows == written.rows)

            let storage = try await Storage.open(configuration, logger: LiveServer.quietLogger())
            do {
                #expect(try await storage.verify().isHealthy)
                #expect(try await storage.verifyLedgerChains().isEmpty)
                let token = try await storage.catalog.createToken(name: "acme again", role: .client, client: "acme").secret
                try await LiveServer.serve(storage, configuration: configuration) { url in
                    let api = APIClient(endpoint: try ServerEndpoint(url: url, token: token), logger: LiveServer.quietLogger())
                    let folder = server.root + "/from-restore"
                    _ = try await Puller(api: api, compression: false, logger: LiveServer.quietLogger()).pull(folder: folder, client: "acme")
                    #expect(try TestTree.snapshot(folder, excluding: [".followup"]) == (try TestTree.snapshot(original, excluding: [".followup"])))
                }
            } catch {
                await storage.close()
                throw error
            }
            await storage.close()
        }
    }

    @Test("restore refuses a storage folder that is not empty, and leaves nothing of a damaged backup")
    func refusals() async throws {
        try await LiveServer.run { server in
            let tar = server.root + "/backup.tar"
            _ = try await server.storage.backup(to: tar)
            var configuration = server.configuration
            await #expect(throws: BackupError.self) {
                _ = try await Storage.restore(from: tar, configuration: configuration, logger: LiveServer.quietLogger())
            }

            let bytes = try Data(contentsOf: URL(fileURLWithPath: tar))
            let cut = server.root + "/cut.tar"
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
            configuration.storagePath = server.root + "/from-cut"
            await #expect(throws: (any Error).self) {
                _ = try await Storage.restore(from: cut, configuration: configuration, logger: LiveServer.quietLogger())
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: configuration.storagePath).isEmpty)
        }
    }
}
