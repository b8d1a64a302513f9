import ContentStore
import Foundation
import Testing
@testable import SyncClient

@Suite("The push cache")
struct PushCacheTests {
    static let now: Int64 = 1_800_000_000_000_000_000
    static let file = ScannedFile(
        path: "a/b é.txt", root: "/x", size: 10, mode: 0o644, modifiedNanoseconds: now - 60_000_000_000,
        inode: 42, changedNanoseconds: now - 50_000_000_000)
    static let manifest = Manifest(
        size: 10, fileHash: SHA256.hash("ten bytes!"),
        chunks: [ChunkRef(id: SHA256.hash("ten "), length: 4), ChunkRef(id: SHA256.hash("bytes!"), length: 6)])

    /// A cache saved with `files` and loaded back.
    static func roundTrip(_ files: [(ScannedFile, Manifest)], settle: Int64 = PushCache.settleNanoseconds) throws -> (PushCache, [UInt8]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.cache"
        try PushCache.save(files, scannedAt: now, settle: settle, to: path)
        return (PushCache.load(path), Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test("a file is trusted only while its size, times and inode are all unchanged")
    func trust() throws {
        let (cache, _) = try Self.roundTrip([(Self.file, Self.manifest)])
        #expect(cache.manifest(for: Self.file) == Self.manifest)
        var changed = [Self.file, Self.file, Self.file, Self.file, Self.file]
        changed[0].size = 11
        changed[1].modifiedNanoseconds += 1
        changed[2].changedNanoseconds += 1
        changed[3].inode = 43
        changed[4].path = "a/other.txt"
        for file in changed { #expect(cache.manifest(for: file) == nil) }
    }

    @Test("a file changed in the last two seconds is not kept: it may still be being written; nor one without an inode")
    func settle() throws {
        var recent = Self.file
        recent.changedNanoseconds = Self.now - 1_000_000_000
        var noInode = Self.file
        noInode.path = "n.txt"
        noInode.inode = 0
        let (cache, _) = try Self.roundTrip([(recent, Self.manifest), (noInode, Self.manifest)])
        #expect(cache.isEmpty)
        #expect(try Self.roundTrip([(recent, Self.manifest)], settle: 0).0.manifest(for: recent) == Self.manifest)
    }

    @Test("a damaged or foreign cache file counts as no cache")
    func damaged() throws {
        let (_, bytes) = try Self.roundTrip([(Self.file, Self.manifest), (ScannedFile(
            path: "z", root: "/x", size: 0, mode: 0o644, modifiedNanoseconds: 1, inode: 7, changedNanoseconds: 1),
            Manifest(size: 0, fileHash: SHA256.hash([]), chunks: []))])
        #expect(PushCache(bytes: bytes)?.isEmpty == false)
        for cut in [1, PushCache.magic.count + 1, PushCache.magic.count + 20, bytes.count - 1] {
            #expect(PushCache(bytes: Array(bytes[..<cut])) == nil, "cut at \(cut)")
        }
        #expect(PushCache(bytes: Array("{\"version\": 1}".utf8)) == nil)
        #expect(PushCache(bytes: bytes + [0]) == nil)
    }

    @Test("one cache file per server, project and folder, in the user's cache folder")
    func location() {
        let paths = [
            PushCache.path(in: "/c", server: "http://h:1", client: "acme", project: "site", folder: "/x"),
            PushCache.path(in: "/c", server: "http://h:2", client: "acme", project: "site", folder: "/x"),
            PushCache.path(in: "/c", server: "http://h:1", client: "acme", project: "blog", folder: "/x"),
            PushCache.path(in: "/c", server: "http://h:1", client: "acme", project: "site", folder: "/y"),
        ]
        #expect(Set(paths).count == 4)
        #expect(PushCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]) == "/c/followup/push")
        #expect(PushCache.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.cache/followup/push")
        #expect(PushCache.defaultDirectory(environment: [:]) == nil)
    }
}
