import Foundation
import Testing
@testable import ContentStore

/// The BlobStore contract, run against every implementation (only the local one so far).
@Suite("BlobStore conformance")
struct BlobStoreTests {
    func stores(_ directory: TemporaryDirectory) throws -> [any BlobStore] {
        [try LocalBlobStore(root: directory.path + "/blobs")]
    }

    @Test("put, get, range read, info, list, delete")
    func contract() async throws {
        let directory = try TemporaryDirectory()
        for blobs in try stores(directory) {
            let name = "ab/abcdef0123"
            let bytes = pseudoRandomBytes(10_000, seed: 40)
            try await blobs.put(name, bytes: bytes)
            #expect(try await blobs.get(name) == bytes)
            #expect(try await blobs.read(name, offset: 100, length: 50) == Array(bytes[100..<150]))
            #expect(try await blobs.info(name)?.size == 10_000)
            #expect(try await blobs.list().map(\.name) == [name])
            await #expect(throws: StoreError.self) { _ = try await blobs.read(name, offset: 9_990, length: 50) }

            let staged = directory.path + "/staged"
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: staged))
            try await blobs.put("cd/cd00", movingFile: staged)
            #expect(!FileManager.default.fileExists(atPath: staged))
            #expect(try await blobs.get("cd/cd00") == [1, 2, 3])

            try await blobs.delete(name)
            try await blobs.delete(name)  // idempotent
            #expect(try await blobs.info(name) == nil)
            #expect(try await blobs.list().map(\.name) == ["cd/cd00"])
        }
    }

    @Test("names that could escape the store are refused", arguments: ["../x", "ab/../../etc", "/etc/passwd", "ab/cd", "ab/ab/ab", "AB/ABCD", "ab/abx"])
    func hostileNames(name: String) async throws {
        let directory = try TemporaryDirectory()
        for blobs in try stores(directory) {
            await #expect(throws: StoreError.self) { try await blobs.put(name, bytes: [1]) }
            await #expect(throws: StoreError.self) { _ = try await blobs.get(name) }
        }
    }
}
