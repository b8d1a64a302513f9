import ContentStore
import Foundation
import Testing
@testable import SyncClient

@Suite("The push cache")
struct PushCacheTests {
    static let now: Int64 = 1_800_000_000_000_000_000
    static let file = ScannedFile(
        path: "a/b.txt", absolutePath: "/x/a/b.txt", size: 10, mode: 0o644, modifiedNanoseconds: now - 60_000_000_000,
        inode: 42, changedNanoseconds: now - 50_000_000_000)
    static let manifest = Manifest(
        size: 10, fileHash: SHA256.hash("ten bytes!"), chunks: [ChunkRef(id: SHA256.hash("ten bytes!"), length: 10)])

    @Test("a file is trusted only while its size, times and inode are all unchanged")
    func trust() {
        var cache = PushCache()
        cache.remember(Self.file, Self.manifest, scannedAt: Self.now)
        #expect(cache.manifest(for: Self.file) == Self.manifest)
        var changed = [Self.file, Self.file, Self.file, Self.file]
        changed[0].size = 11
        changed[1].modifiedNanoseconds += 1
        changed[2].changedNanoseconds += 1
        changed[3].inode = 43
        for file in changed { #expect(cache.manifest(for: file) == nil) }
    }

    @Test("a file changed in the last two seconds is not remembered: it may still be being written")
    func settle() {
        var cache = PushCache()
        var recent = Self.file
        recent.changedNanoseconds = Self.now - 1_000_000_000
        cache.remember(recent, Self.manifest, scannedAt: Self.now)
        #expect(cache.manifest(for: recent) == nil)
        // Nor a file system without inode numbers.
        var noInode = Self.file
        noInode.inode = 0
        cache.remember(noInode, Self.manifest, scannedAt: Self.now)
        #expect(cache.manifest(for: noInode) == nil)
    }

    @Test("saved and loaded back; one file per server, project and folder")
    func roundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var cache = PushCache()
        cache.remember(Self.file, Self.manifest, scannedAt: Self.now)
        let path = PushCache.path(in: folder, server: "http://h:1", client: "acme", project: "site", folder: "/x")
        try cache.save(path)
        #expect(PushCache.load(path).manifest(for: Self.file) == Self.manifest)
        #expect(PushCache.load(path + ".missing").entries.isEmpty)
        let others = [
            PushCache.path(in: folder, server: "http://h:2", client: "acme", project: "site", folder: "/x"),
            PushCache.path(in: folder, server: "http://h:1", client: "acme", project: "blog", folder: "/x"),
            PushCache.path(in: folder, server: "http://h:1", client: "acme", project: "site", folder: "/y"),
        ]
        #expect(Set(others + [path]).count == 4)
        #expect(PushCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]) == "/c/followup/push")
        #expect(PushCache.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.cache/followup/push")
        #expect(PushCache.defaultDirectory(environment: [:]) == nil)
    }
}
