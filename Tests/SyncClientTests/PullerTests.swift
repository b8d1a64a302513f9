import Catalog
import ContentStore
import Dispatch
import Foundation
import Ledger
import SyncProtocol
import Synchronization
import Testing
@testable import SyncClient

/// `followup pull` against the real server on a loopback port: staff push a tree,
/// the client pulls it, and the two trees are compared byte for byte.
@Suite("Pull against a live server")
struct PullerTests {
    /// What the pull adds beside the project folders.
    static let syncFiles: Set<String> = [".followup", "LEDGER.csv"]

    /// A tree with nested folders, an empty file, an empty folder, unicode names, a
    /// file of several chunks and a duplicate.
    func makeTree(_ folder: String) throws {
        try TestTree.write(folder, "video/master.mov", TestTree.bytes(1_500_000, seed: 1))
        try TestTree.write(folder, "brand/logo é (final).png", TestTree.bytes(70_000, seed: 2))
        try TestTree.write(folder, "brand/copy of logo.png", TestTree.bytes(70_000, seed: 2))
        try TestTree.write(folder, "brand/ロゴ/説明.txt", Array("日本語のメモ".utf8))
        try TestTree.write(folder, "empty.txt", [])
        try TestTree.write(folder, #"brand/say "hi" \ back.txt"#, Array("quotes".utf8))
        try FileManager.default.createDirectory(atPath: folder + "/drafts/nothing yet", withIntermediateDirectories: true)
    }

    /// `makeTree` pushed by staff and pulled once by acme: (staff folder, client folder, pusher, puller).
    func syncedTree(_ server: LiveServer) async throws -> (String, String, Pusher, Puller) {
        let source = server.root + "/staff"
        try makeTree(source)
        let pusher = try server.pusher()
        _ = try await pusher.push(directory: source, client: "acme", project: "site")
        let folder = server.root + "/client"
        let puller = try server.puller(server.acmeToken)
        _ = try await puller.pull(folder: folder, client: "acme")
        return (source, folder, pusher, puller)
    }

    @Test("an empty folder pulls the whole tree byte for byte, with mtimes; a second pull fetches nothing")
    func initialPull() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try makeTree(source)
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")

            let folder = server.root + "/client"
            let puller = try server.puller(server.acmeToken)
            let first = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(first.filesWritten == 6 && first.foldersCreated == 1 && first.conflicts.isEmpty)
            #expect(first.fetchedBytes == 1_500_000 + 70_000 + 18 + 6)     // the duplicate logo is copied locally
            #expect(first.reusedBytes == 0)
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == Self.syncFiles.union(["site"]))
            let pushedTime = try TestTree.modificationTime(source + "/video/master.mov")
            #expect(try TestTree.modificationTime(folder + "/site/video/master.mov") == pushedTime)
            #expect(!FileManager.default.fileExists(atPath: folder + "/.followup/partial"))

            let again = try await puller.pull(folder: folder, client: nil)      // the folder remembers its client
            #expect(again.filesWritten == 0 && again.fetchedBytes == 0 && again.cursor == first.cursor)
        }
    }

    @Test("after a small edit only the changed chunks travel; the rest is copied from the old version")
    func incrementalPull() async throws {
        try await LiveServer.run { server in
            let (source, folder, pusher, puller) = try await syncedTree(server)

            var master = TestTree.bytes(1_500_000, seed: 1)
            master.replaceSubrange(700_000..<704_096, with: TestTree.bytes(4096, seed: 9))
            try TestTree.write(source, "video/master.mov", master)
            try TestTree.write(source, "brand/new.txt", Array("new file".utf8))
            try FileManager.default.removeItem(atPath: source + "/empty.txt")
            _ = try await pusher.push(directory: source, client: "acme", project: "site")

            let summary = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(summary.filesWritten == 2 && summary.filesDeleted == 1)
            #expect(summary.fetchedBytes > 4096 && summary.fetchedBytes <= 2 * 262_144 + 8)
            #expect(summary.reusedBytes + summary.fetchedBytes == 1_500_000 + 8)
        }
    }

    @Test("renaming folders on the server costs no transfer: fetched_bytes is 0")
    func renamePull() async throws {
        try await LiveServer.run { server in
            let (source, folder, pusher, puller) = try await syncedTree(server)

            try FileManager.default.moveItem(atPath: source + "/brand", toPath: source + "/brand (archived)")
            try FileManager.default.moveItem(atPath: source + "/video/master.mov", toPath: source + "/master-v1.mov")
            _ = try await pusher.push(directory: source, client: "acme", project: "site")

            let summary = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(summary.fetchedBytes == 0)
            #expect(summary.reusedBytes == 1_500_000 + 70_000 + 18 + 6)     // the duplicate logo is one content
            #expect(summary.filesDeleted == 5 && summary.filesWritten == 5)
            #expect(!FileManager.default.fileExists(atPath: folder + "/site/brand"))   // emptied folders go too
        }
    }

    @Test("a local source that changed without its size, mtime or inode changing: the copy fails its hash and is fetched whole")
    func changedLocalSource() async throws {
        try await LiveServer.run { server in
            let (source, folder, pusher, puller) = try await syncedTree(server)
            // The synced file gets other bytes of the same size, its mtime put back: the
            // pull still takes it for the file it wrote and offers its chunks.
            let local = folder + "/site/video/master.mov"
            var before = stat()
            try #require(stat(local, &before) == 0)
            let handle = try #require(FileHandle(forWritingAtPath: local))
            try handle.write(contentsOf: Data(TestTree.bytes(1_500_000, seed: 99)))
            try handle.close()
            var times = [before.st_atim, before.st_mtim]
            try #require(utimensat(AT_FDCWD, local, &times, 0) == 0)

            // The same content under a new name on the server: every chunk is "local".
            try TestTree.write(source, "video/copy.mov", TestTree.bytes(1_500_000, seed: 1))
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            let summary = try await puller.pull(folder: folder, client: "acme")
            #expect(try TestTree.read(folder, "site/video/copy.mov") == TestTree.bytes(1_500_000, seed: 1))
            #expect(summary.filesWritten == 1)
            #expect(summary.fetchedBytes == 1_500_000, "the content is fetched whole once its copy fails")
            #expect(!FileManager.default.fileExists(atPath: folder + "/.followup/partial"))
        }
    }

    @Test("a local edit is never overwritten or deleted: the server's version goes beside it")
    func conflicts() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try TestTree.write(source, "notes/brief.txt", Array("v1".utf8))
            try TestTree.write(source, "notes/old.txt", Array("old".utf8))
            let pusher = try server.pusher()
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            let folder = server.root + "/client"
            let puller = try server.puller(server.acmeToken)
            _ = try await puller.pull(folder: folder, client: "acme")

            try TestTree.write(folder, "site/notes/brief.txt", Array("my own notes".utf8))
            try TestTree.write(folder, "site/notes/old.txt", Array("kept by me".utf8))
            try TestTree.write(source, "notes/brief.txt", Array("v2 from staff".utf8))
            try FileManager.default.removeItem(atPath: source + "/notes/old.txt")
            _ = try await pusher.push(directory: source, client: "acme", project: "site")

            let summary = try await puller.pull(folder: folder, client: "acme")
            #expect(summary.conflicts.map(\.path).sorted() == ["site/notes/brief.txt", "site/notes/old.txt"])
            #expect(try TestTree.read(folder, "site/notes/brief.txt") == Array("my own notes".utf8))
            #expect(try TestTree.read(folder, "site/notes/old.txt") == Array("kept by me".utf8))
            let copy = try #require(summary.conflicts.first { $0.path == "site/notes/brief.txt" }?.serverCopy)
            #expect(copy.hasPrefix("site/notes/brief (server ") && copy.hasSuffix(").txt"))
            #expect(try TestTree.read(folder, copy) == Array("v2 from staff".utf8))
            #expect(summary.filesWritten == 1 && summary.filesDeleted == 0)

            // The path stays the user's: the next server change goes beside it again.
            try TestTree.write(source, "notes/brief.txt", Array("v3 from staff".utf8))
            _ = try await pusher.push(directory: source, client: "acme", project: "site")
            let next = try await puller.pull(folder: folder, client: "acme")
            #expect(next.conflicts.count == 1)
            #expect(try TestTree.read(folder, "site/notes/brief.txt") == Array("my own notes".utf8))
        }
    }

    @Test("files already in the folder before its first pull are never replaced; each pulled file has its version's mode and mtime")
    func filesBeforeFirstPull() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try TestTree.write(source, "notes/brief.txt", Array("from staff".utf8))
            try TestTree.write(source, "notes/same.txt", Array("the same".utf8))
            try TestTree.write(source, "notes/copy of same.txt", Array("the same".utf8))
            try TestTree.write(source, "tools/run.sh", Array("#!/bin/sh\n".utf8))
            try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: source + "/tools/run.sh")
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: source + "/notes/same.txt")
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")

            let folder = server.root + "/client"
            try TestTree.write(folder, "site/notes/brief.txt", Array("mine".utf8))
            try TestTree.write(folder, "site/notes/same.txt", Array("the same".utf8))
            let summary = try await server.puller(server.acmeToken).pull(folder: folder, client: "acme")

            #expect(summary.conflicts.map(\.path) == ["site/notes/brief.txt"])
            #expect(try TestTree.read(folder, "site/notes/brief.txt") == Array("mine".utf8))
            let copy = try #require(summary.conflicts.first?.serverCopy)
            #expect(try TestTree.read(folder, copy) == Array("from staff".utf8))
            #expect(try TestTree.read(folder, "site/notes/same.txt") == Array("the same".utf8))
            #expect(try TestTree.read(folder, "site/notes/copy of same.txt") == Array("the same".utf8))
            #expect(summary.filesWritten == 3)     // the copy of brief, "copy of same" and run.sh

            for (path, mode) in ["tools/run.sh": 0o750, "notes/copy of same.txt": 0o644, copy.replacingOccurrences(of: "site/", with: ""): 0o644] {
                let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/site/" + path)
                #expect((attributes[.posixPermissions] as? Int) == mode, "\(path)")
                let pushed = try TestTree.modificationTime(source + "/" + (path.hasPrefix("notes/brief") ? "notes/brief.txt" : path))
                #expect(attributes[.modificationDate] as? Date == pushed, "\(path)")
            }
            // Nothing assembled is left behind.
            let left = try TestTree.snapshot(folder + "/site").keys.filter { $0.split(separator: "/").last!.hasPrefix(".followup-") }
            #expect(left.isEmpty)
        }
    }

    @Test("a pull cut off mid-transfer leaves no partial file under a final name and resumes without refetching")
    func interruptedPull() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try TestTree.write(source, "a/first.bin", TestTree.bytes(2_000_000, seed: 11))
            try TestTree.write(source, "b/second.bin", TestTree.bytes(3_000_000, seed: 12))
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let folder = server.root + "/client"
            let puller = try server.puller(server.acmeToken)

            // Cancel the pull once 2.5 MB have arrived: the state on disk is what a kill leaves.
            // The pull waits in its progress report until the cancellation is made, so the
            // test does not depend on how fast either side runs.
            let (reached, signal) = AsyncStream.makeStream(of: Void.self)
            let cancelled = DispatchSemaphore(value: 0)
            await withTaskGroup(of: Void.self) { group in
                let signalled = Mutex(false)
                group.addTask {
                    _ = try? await puller.pull(folder: folder, client: "acme") { progress in
                        guard progress.bytesDone >= 2_500_000, signalled.withLock({ done in defer { done = true }; return !done }) else { return }
                        signal.yield()
                        cancelled.wait()
                    }
                    signal.finish()
                }
                var iterator = reached.makeAsyncIterator()
                _ = await iterator.next()
                group.cancelAll()
                cancelled.signal()
            }
            let left = try TestTree.snapshot(folder + "/site")
            for (path, bytes) in left where bytes != Array("/".utf8) && !path.split(separator: "/").last!.hasPrefix(".followup-") {
                #expect(bytes == (try TestTree.read(source, path)), "\(path) is under its final name but incomplete")
            }
            #expect(left.keys.contains { $0.hasSuffix(".part") }, "the interrupted content should be kept for the next run")
            #expect(try SyncState.loadPosition(from: folder).cursor == 0)

            let resumed = try await puller.pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")       // no partial file left behind either
            #expect(resumed.reusedBytes >= 2_000_000)
            #expect(resumed.fetchedBytes <= 5_000_000 - 2_000_000)
        }
    }

    @Test("a client token pulls only its own client: another's folder and chunks answer 404")
    func isolation() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try makeTree(source)
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let folder = server.root + "/intruder"
            await #expect(throws: RemoteError.self) {
                _ = try await server.puller(server.globexToken).pull(folder: folder, client: "acme")
            }
            #expect(!FileManager.default.fileExists(atPath: folder + "/site"))

            let acmeFiles = try await server.storage.catalog.files(client: "acme", project: "site")
            let ids = acmeFiles.compactMap(\.manifest).flatMap(\.chunks).map { ChunkDigest(bytes: $0.id.bytes)! }
            do {
                _ = try await server.api(server.globexToken).fetchChunks(Array(ids.prefix(3)), compression: false)
                Issue.record("globex fetched acme's chunks")
            } catch let RemoteError.server(status, _, _) {
                #expect(status == 404)
            }

            // And globex's own (empty) pull succeeds with nothing of acme's in it.
            let own = try await server.puller(server.globexToken).pull(folder: folder, client: nil)
            #expect(own.client == "globex" && own.filesWritten == 0)
        }
    }

    @Test("the client's hours land in LEDGER.csv and ledger.jsonl, each entry once")
    func ledgerFiles() async throws {
        try await LiveServer.run { server in
            let log = HourLog(minutes: Minutes(90), service: "design", phase: nil, note: "logo, round 2", staff: "ann")
            _ = try await server.storage.catalog.logHours(client: "acme", project: "site", log: log, alertThresholds: [])
            let folder = server.root + "/client"
            let puller = try server.puller(server.acmeToken)
            let first = try await puller.pull(folder: folder, client: "acme")
            #expect(first.ledgerEntries == 1)
            _ = try await server.storage.catalog.logHours(
                client: "acme", project: "site", log: HourLog(minutes: Minutes(30), service: "dev", phase: nil, note: "", staff: "bo"),
                alertThresholds: [])
            let second = try await puller.pull(folder: folder, client: "acme")
            #expect(second.ledgerEntries == 1)

            let csv = String(decoding: try TestTree.read(folder, "LEDGER.csv"), as: UTF8.self)
            let lines = csv.split(separator: "\r\n")
            #expect(lines.count == 3)
            #expect(lines[1].contains(",site,debit,-90,,design,,\"logo, round 2\","))
            #expect(lines[2].contains(",site,debit,-30,,dev,"))
            let api = try await server.api(server.acmeToken).ledger(client: "acme", project: nil)
            #expect(csv == LedgerCSV.render(api.entries))     // the folder and the API agree
            let jsonLines = try TestTree.read(folder, ".followup/ledger.jsonl").split(separator: UInt8(ascii: "\n"))
            #expect(jsonLines.count == 2)
        }
    }

    @Test("deflate on the wire: compressible chunks travel smaller and arrive intact")
    func compressedPull() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            let text = Array(String(repeating: "Il cliente vede solo i propri dati. ", count: 20_000).utf8)
            try TestTree.write(source, "docs/contract.txt", text)
            try TestTree.write(source, "media/clip.mp4", TestTree.bytes(300_000, seed: 5))
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let folder = server.root + "/client"
            let summary = try await server.puller(server.acmeToken, compression: true).pull(folder: folder, client: "acme")
            try TestTree.expectSame(source, folder + "/site")
            #expect(summary.fetchedBytes == Int64(text.count + 300_000))
            #expect(summary.transferredBytes < 300_000 + Int64(text.count) / 4)
            #expect(summary.transferredBytes > 300_000)     // the noise went as is
        }
    }
}
