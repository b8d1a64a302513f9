import ContentStore
import Foundation
import Testing
@testable import SyncClient

/// Pulls larger than one assembly batch (the limit is made tiny here): what batching
/// could break, deduplication and reuse across batches, and the order of deletions.
@Suite("Pull in several batches")
struct BatchedPullTests {
    static let tiny = PullBatchLimit(contents: 3, bytes: 1 << 20)

    func puller(_ server: LiveServer) throws -> Puller {
        var puller = try server.puller(server.acmeToken)
        puller.batchLimit = Self.tiny
        return puller
    }

    @Test("identical contents and shared chunks in different batches travel once; renames and swaps across batches fetch nothing")
    func dedupAndRenames() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            let big = TestTree.bytes(1_500_000, seed: 1)
            var edited = big
            edited.replaceSubrange(700_000..<704_096, with: TestTree.bytes(4096, seed: 9))
            let same = TestTree.bytes(5000, seed: 3)
            try TestTree.write(source, "a/big.bin", big)
            try TestTree.write(source, "a/same.txt", same)
            var small: Int64 = 0
            for index in 0..<10 {
                try TestTree.write(source, "b/f\(index).txt", TestTree.bytes(1000 + index, seed: UInt64(10 + index)))
                small += Int64(1000 + index)
            }
            try TestTree.write(source, "m/same again.txt", same)
            try TestTree.write(source, "z/big edited.bin", edited)
            let pusher = try server.pusher()
            _ = try await pusher.push(directory: source, client: "acme", project: "site")

            let folder = server.root + "/client"
            let puller = try puller(server)
            let first = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(first.filesWritten == 14)
            // Each content assembled once; the edited copy takes most chunks from the first.
            #expect(first.fetchedBytes + first.reusedBytes == 3_000_000 + 5000 + small)
            #expect(first.fetchedBytes <= 1_500_000 + 5000 + small + 2 * 262_144 + 4096)
            #expect(!FileManager.default.fileExists(atPath: folder + "/.followup/partials.json"))

            // Renames into other batches, and two files trading contents: every chunk is local.
            try FileManager.default.moveItem(atPath: source + "/a", toPath: source + "/y")
            try FileManager.default.createDirectory(atPath: source + "/zz", withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: source + "/b/f0.txt", toPath: source + "/zz/f0.txt")
            let one = try TestTree.read(source, "b/f1.txt")
            try TestTree.write(source, "b/f1.txt", try TestTree.read(source, "b/f2.txt"))
            try TestTree.write(source, "b/f2.txt", one)
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            let renamed = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(renamed.fetchedBytes == 0)
            #expect(renamed.filesDeleted == 3 && renamed.conflicts.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: folder + "/site/a"))
        }
    }

    @Test("a file that becomes a folder and a folder that becomes a file, in a pull of several batches")
    func fileBecomesFolder() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            for index in 0..<8 { try TestTree.write(source, "docs/n\(index).txt", TestTree.bytes(500, seed: UInt64(index + 1))) }
            try TestTree.write(source, "docs/spec", Array("a file for now".utf8))
            try TestTree.write(source, "media/cut/one.mov", TestTree.bytes(2000, seed: 40))
            let pusher = try server.pusher()
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            let folder = server.root + "/client"
            let puller = try puller(server)
            _ = try await puller.pull(folder: folder, client: "acme")

            try FileManager.default.removeItem(atPath: source + "/docs/spec")
            try TestTree.write(source, "docs/spec/v2.txt", Array("now a folder".utf8))
            try TestTree.write(source, "docs/spec/v1.txt", Array("a file for now".utf8))
            try FileManager.default.removeItem(atPath: source + "/media/cut")
            try TestTree.write(source, "media/cut", TestTree.bytes(2000, seed: 40))
            for index in 0..<8 { try TestTree.write(source, "docs/n\(index).txt", TestTree.bytes(600, seed: UInt64(index + 100))) }
            _ = try await pusher.push(directory: source, client: "acme", project: "site")

            let summary = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(summary.conflicts.isEmpty && summary.filesDeleted == 2)
            // The moved contents are copies of files the pull deleted.
            #expect(summary.fetchedBytes == 8 * 600 + Int64("now a folder".utf8.count))
        }
    }

    @Test("what an interrupted pull assembled is removed when the next pull plans differently, in old and new partials lists")
    func leftoversRemoved() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try TestTree.write(source, "x/one.txt", Array("one".utf8))
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let folder = server.root + "/client"
            let hex = String(repeating: "ab", count: 32)
            // A list that names folders (this version) and one that names contents (earlier ones).
            try TestTree.write(folder, "site/old/.followup-\(hex).part", Array("stale".utf8))
            try TestTree.write(folder, "site/old/.followup-\(hex)", Array("stale".utf8))
            try TestTree.write(folder, "site/kept/.followup-notes.txt", Array("the user's".utf8))
            try TestTree.write(folder, "site/kept/.followup-\(hex).copy", Array("stale".utf8))
            try TestTree.write(folder, "site/elsewhere/.followup-\(hex)", Array("stale".utf8))
            let list = [folder + "/site/old/", folder + "/site/kept/", folder + "/site/elsewhere/.followup-\(hex)"]
            try TestTree.write(folder, ".followup/partials.json", Array(try JSONEncoder().encode(list)))

            _ = try await puller(server).pull(folder: folder, client: "acme")
            #expect(try TestTree.read(folder, "site/x/one.txt") == Array("one".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/site/old").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/site/kept") == [".followup-notes.txt"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/site/elsewhere").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: folder + "/.followup/partials.json"))

            // A pull with nothing to assemble, only a deletion.
            try FileManager.default.removeItem(atPath: source + "/x/one.txt")
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let deleted = try await puller(server).pull(folder: folder, client: "acme")
            #expect(deleted.filesDeleted == 1 && !FileManager.default.fileExists(atPath: folder + "/site/x/one.txt"))
        }
    }
}
