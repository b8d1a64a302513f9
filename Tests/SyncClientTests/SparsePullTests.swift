import ContentStore
import Foundation
import Testing
@testable import SyncClient
#if canImport(Glibc)
import Glibc
#endif

extension Tag {
    /// Tens of seconds rather than milliseconds: run with FOLLOWUP_SLOW_TESTS=1 (CI, `make test-slow`).
    @Tag static var slow: Self
}

@Suite("Pull of multi-GB sparse files", .tags(.slow), .enabled(if: ProcessInfo.processInfo.environment["FOLLOWUP_SLOW_TESTS"] == "1"))
struct SparsePullTests {
    /// A sparse file of `size` bytes with a few marked bytes at fixed offsets.
    func makeSparse(_ path: String, size: Int64) throws {
        try FileManager.default.createDirectory(atPath: FileIO.parent(of: path), withIntermediateDirectories: true)
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { FileIO.close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
        for offset in [Int64(0), size / 3, size / 2 + 12345, size - 1] {
            var byte: UInt8 = 0x5A
            #expect(pwrite(fd, &byte, 1, off_t(offset)) == 1)
        }
    }

    @Test("a 3 GiB sparse file and a 0-byte file go through push and pull equal, and stay sparse")
    func sparse() async throws {
        try await LiveServer.run { server in
            let size: Int64 = 3 << 30
            let source = server.root + "/staff"
            try makeSparse(source + "/renders/huge.raw", size: size)
            try TestTree.write(source, "renders/zero.bin", [])
            let pushed = try await server.pusher().push(directory: source, client: "acme", project: "site")
            #expect(pushed.bytes == size && pushed.uploadedBytes < 4 << 20)

            let folder = server.root + "/client"
            let summary = try await server.puller(server.acmeToken).pull(folder: folder, client: "acme")
            #expect(summary.filesWritten == 2 && summary.fetchedBytes < 4 << 20)
            let pulled = folder + "/site/renders/huge.raw"
            #expect(try SHA256.hash(fileAt: pulled) == (try SHA256.hash(fileAt: source + "/renders/huge.raw")))
            let status = try FileIO.status(pulled)
            #expect(Int64(status.st_size) == size)
            #expect(Int64(status.st_blocks) * 512 < 64 << 20, "the pulled file should keep its holes")
            #expect(try FileIO.status(folder + "/site/renders/zero.bin").st_size == 0)
        }
    }
}
