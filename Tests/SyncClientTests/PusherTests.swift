import ContentStore
import Foundation
import NIOCore
import SyncProtocol
import Testing
@testable import SyncClient

/// `followup push` against the real server on a loopback port.
@Suite("Push against a live server")
struct PusherTests {
    @Test("push progress: hashing is the first half of each byte, settling the second; a resend never passes the total")
    func pushProgress() {
        for total: Int64 in [1000, 4 << 30, 1 << 50] {
            let progress = PushProgressCounter(total: total, report: nil)
            // A group of two thirds hashed (reported as running totals), the rest cached.
            progress.hashed(total / 3)
            progress.hashed(total / 3 * 2)
            progress.hashedElsewhere(total - total / 3 * 2)
            #expect(progress.value == total / 2)
            progress.settled(total / 2)
            #expect(abs(progress.value - (total / 2 + total / 4)) <= 1)
            progress.settled(total - total / 2)
            #expect(progress.value == total)
            // Bytes sent again after a broken connection count, but the total caps them.
            progress.settled(total)
            #expect(progress.value == total)
        }
    }

    @Test("a chunk id is found in a sorted list exactly when it is there")
    func slots() {
        let ids = (0..<50).map { SHA256.hash(Array("chunk \($0)".utf8)) }
        let sorted = SortedChunkIDs(Array(ids.prefix(30)) + Array(ids.prefix(5)))
        #expect(sorted.count == 30 && sorted.all == ids.prefix(30).sorted())
        for id in ids {
            let slot = sorted.slot(of: id)
            #expect(slot.map { sorted.all[$0] == id } ?? !ids.prefix(30).contains(id))
        }
        #expect(SortedChunkIDs([]).slot(of: ids[0]) == nil)
    }

    @Test("merging ids into a sorted list keeps it sorted, without repeats, whatever overlaps")
    func union() {
        let ids = (0..<60).map { SHA256.hash(Array("chunk \($0)".utf8)) }
        var sorted = SortedChunkIDs([])
        sorted.formUnion(Array(ids[10..<30]) + Array(ids[10..<12]))
        sorted.formUnion([])
        sorted.formUnion(Array(ids[0..<15]))
        sorted.formUnion(Array(ids[25..<60].reversed()))
        #expect(sorted.all == ids.sorted())
        #expect(ids.allSatisfy { sorted.contains($0) })
    }

    @Test("a push reads only the files changed since the last push of the folder; a damaged cache costs one full read")
    func pushCache() async throws {
        try await LiveServer.run { server in
            let folder = server.root + "/work"
            try TestTree.write(folder, "a.bin", TestTree.bytes(300_000, seed: 1))
            try TestTree.write(folder, "b/c.txt", Array("hello".utf8))
            try TestTree.write(folder, "d.txt", Array("x".utf8))
            let cache = server.root + "/cache"
            var pusher = Pusher(
                api: try server.api(server.staffToken), chunker: try Chunker(.standard), logger: LiveServer.quietLogger(),
                cacheDirectory: cache)
            pusher.cacheSettleNanoseconds = 0  // the files were written just now
            let first = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(first.hashedFiles == 3 && first.written == 3)

            let again = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(again.hashedFiles == 0 && again.uploadedBytes == 0 && again.written == 0 && again.unchanged == 3)

            try TestTree.write(folder, "d.txt", Array("changed".utf8))
            let edited = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(edited.hashedFiles == 1 && edited.written == 1 && edited.uploadedBytes == 7)

            // What the server now has is what the folder holds, whichever way it was read.
            let pulled = server.root + "/pulled"
            _ = try await server.puller(server.acmeToken).pull(folder: pulled, client: "acme")
            #expect(try TestTree.snapshot(pulled + "/site") == (try TestTree.snapshot(folder)))

            for file in try FileManager.default.contentsOfDirectory(atPath: cache) {
                try Array("{\"version\": 1, \"files\": {\"a.bin\": 7".utf8).withUnsafeBytes { raw in
                    try Data(raw).write(to: URL(fileURLWithPath: cache + "/" + file))
                }
            }
            let damaged = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(damaged.hashedFiles == 3 && damaged.written == 0)
            let forced = try await pusher.push(directory: folder, client: "acme", project: "site", rehash: true)
            #expect(forced.hashedFiles == 3 && forced.written == 0)
            #expect(try await pusher.push(directory: folder, client: "acme", project: "site").hashedFiles == 0)
        }
    }

    @Test("files equal to the project's latest versions are left out of the commit; a mode change alone makes a version")
    func unchangedLeftOut() async throws {
        try await LiveServer.run { server in
            let folder = server.root + "/work"
            try TestTree.write(folder, "a.txt", Array("a".utf8))
            try TestTree.write(folder, "b.sh", Array("echo b".utf8))
            let pusher = try server.pusher()
            _ = try await pusher.push(directory: folder, client: "acme", project: "site")
            let before = try await server.api(server.staffToken).files(client: "acme", project: "site")

            // Only a later modification time: no version, as the server would judge it.
            let now = Date().addingTimeInterval(3600)
            try FileManager.default.setAttributes([.modificationDate: now], ofItemAtPath: folder + "/a.txt")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/b.sh")
            let summary = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(summary.written == 1 && summary.unchanged == 1 && summary.uploadedBytes == 0)
            let after = try await server.api(server.staffToken).files(client: "acme", project: "site")
            #expect(after.first { $0.path == "a.txt" } == before.first { $0.path == "a.txt" })
            #expect(after.first { $0.path == "b.sh" }?.mode == 0o755)
            #expect(after.first { $0.path == "b.sh" }?.version == 2)
        }
    }

    @Test("the file list read in pages of any size is the whole list: tombstones skipped, odd names kept, in byte order")
    func pagedFiles() async throws {
        try await LiveServer.run { server in
            let folder = server.root + "/work"
            let names = ["a b.txt", "caf\u{E9}.txt", "cafe\u{301}.txt", "d/e&f=g.txt", "d/h?.txt", "z%41.txt", "\u{1F600}.txt"]
            for (n, name) in names.enumerated() { try TestTree.write(folder, name, Array("file \(n)".utf8)) }
            try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
            let pusher = try server.pusher()
            _ = try await pusher.push(directory: folder, client: "acme", project: "site")
            // Deleted files stay in the catalog as tombstones, between the live paths.
            try FileManager.default.removeItem(atPath: folder + "/d/e&f=g.txt")
            try FileManager.default.removeItem(atPath: folder + "/a b.txt")
            _ = try await pusher.push(directory: folder, client: "acme", project: "site")

            let api = try server.api(server.staffToken)
            let whole = try await api.files(client: "acme", project: "site", pageSize: 100_000)
            #expect(whole.count == names.count - 2 + 1)
            #expect(whole.map { Array($0.path.utf8) } == whole.map { Array($0.path.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
            for size in [1, 2, 3, 5] {
                #expect(try await api.files(client: "acme", project: "site", pageSize: size) == whole)
            }
            await #expect(throws: RemoteError.self) {
                let _: [RemoteFile] = try await api.send(.GET, "/v1/clients/acme/projects/site/files?limit=0")
            }
            await #expect(throws: RemoteError.self) {
                let _: [RemoteFile] = try await api.send(.GET, "/v1/clients/acme/projects/site/files?after=a")
            }
        }
    }

    @Test("a push in many small groups uploads each content once and commits every file, byte for byte")
    func pushInGroups() async throws {
        try await LiveServer.run { server in
            let folder = server.root + "/groups"
            // 12 files, two of each content, the pairs far apart so that they land in different groups.
            for n in 0..<12 {
                try TestTree.write(folder, "f\(String(format: "%02d", n)).bin", TestTree.bytes(30_000 + 1_000 * (n % 6), seed: UInt64(n % 6)))
            }
            try TestTree.write(folder, "big.bin", TestTree.bytes(700_000, seed: 40))
            // Two equal files in one group: asked about and sent once.
            try TestTree.write(folder, "dup-a.bin", TestTree.bytes(50_000, seed: 41))
            try TestTree.write(folder, "dup-b.bin", TestTree.bytes(50_000, seed: 41))
            var pusher = try server.pusher()
            pusher.groupFiles = 2
            pusher.groupBytes = 100_000
            let pushed = try await pusher.push(directory: folder, client: "acme", project: "site")
            let unique = (0..<6).reduce(0) { $0 + 30_000 + 1_000 * $1 } + 700_000 + 50_000
            #expect(pushed.files == 15 && pushed.written == 15)
            #expect(pushed.uploadedBytes == Int64(unique))
            #expect(pushed.deduplicatedBytes == pushed.bytes - Int64(unique))
            let files = try await server.storage.catalog.files(client: "acme", project: "site")
            #expect(files.count == 15)
            for file in files {
                let expected = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file.path))
                #expect(try await server.storage.store.contents(of: try #require(file.manifest)) == Array(expected))
            }
            let again = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(again.uploadedBytes == 0 && again.unchanged == 15)
        }
    }

    @Test("push, re-push (nothing travels), change one file (only its new chunks travel), delete one")
    func pushCycle() async throws {
        try await LiveServer.run { server in
            let folder = server.root + "/deliverables"
            try TestTree.write(folder, "video/master.mov", TestTree.bytes(900_000, seed: 1))
            try TestTree.write(folder, "brand/logo é (final).png", TestTree.bytes(40_000, seed: 2))
            try TestTree.write(folder, "brand/copy of logo.png", TestTree.bytes(40_000, seed: 2))
            try TestTree.write(folder, "empty.txt", [])
            try TestTree.write(folder, ".followup/cursor.json", Array("{}".utf8))
            let pusher = try server.pusher()

            let first = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(first.files == 4 && first.written == 4)
            #expect(first.uploadedBytes == 940_000)        // the copy of the logo is deduplicated
            #expect(first.deduplicatedBytes == 40_000)

            let again = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(again.uploadedBytes == 0 && again.written == 0 && again.unchanged == 4)

            var master = TestTree.bytes(900_000, seed: 1)
            master.replaceSubrange(450_000..<450_100, with: TestTree.bytes(100, seed: 3))
            try TestTree.write(folder, "video/master.mov", master)
            try FileManager.default.removeItem(atPath: folder + "/brand/copy of logo.png")
            let changed = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(changed.written == 1 && changed.deleted == 1)
            #expect(changed.uploadedBytes > 0 && changed.uploadedBytes <= 2 * 262_144)  // a chunk or two, not the file

            let files = try await server.storage.catalog.files(client: "acme", project: "site")
            #expect(files.map(\.path).sorted() == ["brand/logo é (final).png", "empty.txt", "video/master.mov"])
            let video = try #require(files.first { $0.path == "video/master.mov" })
            #expect(try await server.storage.store.contents(of: try #require(video.manifest)) == master)
        }
    }

    @Test("empty folders travel as entries; one that gets a file is replaced, even with --no-delete")
    func emptyFolders() async throws {
        try await LiveServer.run { server in
            let folder = server.root + "/deliverables"
            try FileManager.default.createDirectory(atPath: folder + "/drafts/later", withIntermediateDirectories: true)
            try TestTree.write(folder, "readme.txt", Array("hi".utf8))
            let pusher = try server.pusher()
            let first = try await pusher.push(directory: folder, client: "acme", project: "site")
            #expect(first.written == 2)
            let remote = try await server.api(server.staffToken).files(client: "acme", project: "site")
            let entry = try #require(remote.first { $0.path == "drafts/later" })
            #expect(CommitFile.isDirectory(mode: entry.mode) && entry.size == 0)

            try TestTree.write(folder, "drafts/later/plan.txt", Array("plan".utf8))
            let second = try await pusher.push(directory: folder, client: "acme", project: "site", deleteMissing: false)
            #expect(second.written == 1 && second.deleted == 1)
            let after = try await server.api(server.staffToken).files(client: "acme", project: "site").map(\.path)
            #expect(after.sorted() == ["drafts/later/plan.txt", "readme.txt"])
        }
    }

    /// A body that sends some frames, then fails as a dropped connection would.
    struct BrokenFrames: AsyncSequence, Sendable {
        let pieces: [[UInt8]]

        struct Cut: Error {}

        func makeAsyncIterator() -> Iterator { Iterator(pieces: pieces) }

        struct Iterator: AsyncIteratorProtocol {
            var pieces: [[UInt8]]

            mutating func next() async throws -> ByteBuffer? {
                guard !pieces.isEmpty else { throw Cut() }
                try await Task.sleep(for: .milliseconds(20))
                return ByteBuffer(bytes: pieces.removeFirst())
            }
        }
    }

    @Test("an upload cut off mid-stream keeps the chunks that arrived: a retry sends only the rest")
    func resumableUpload() async throws {
        try await LiveServer.run { server in
            let chunks = (1...3).map { TestTree.bytes(100_000, seed: UInt64($0)) }
            let ids = chunks.map { ChunkDigest(bytes: SHA256.hash($0).bytes)! }
            let api = try server.api(server.staffToken)
            let frames = try zip(ids, chunks).prefix(2).map { try FrameEncoder.encode(id: $0, bytes: $1) }
            await #expect(throws: (any Error).self) {
                _ = try await api.uploadChunks(streaming: BrokenFrames(pieces: frames))
            }
            var missing = try await api.missingChunks(ids)
            for _ in 0..<50 where missing.count > 1 {
                try await Task.sleep(for: .milliseconds(100))       // the server seals what arrived
                missing = try await api.missingChunks(ids)
            }
            #expect(missing == [ids[2]])
        }
    }
}
