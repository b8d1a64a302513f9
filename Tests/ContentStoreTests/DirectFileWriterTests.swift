import Foundation
import Testing
@testable import ContentStore

@Suite("DirectFileWriter: a file written through aligned buffers, O_DIRECT where the file system takes it")
struct DirectFileWriterTests {
    /// Writes `bytes` in pieces of `piece` bytes with two small buffers (so nearly every
    /// write hands a buffer to the thread and waits for one back), and reads the file back.
    func roundTrip(_ bytes: [UInt8], piece: Int, in folder: String, bufferBytes: Int = 8192) throws -> [UInt8] {
        let path = folder + "/out-\(bytes.count)-\(piece)"
        let writer = try DirectFileWriter(creating: path, bufferBytes: bufferBytes, buffers: 2)
        var start = 0
        while start < bytes.count {
            let end = min(start + piece, bytes.count)
            try bytes[start..<end].withUnsafeBytes { try writer.write($0) }
            start = end
        }
        try writer.finish()
        try FileIO.fsync(writer.fd, path: path)
        try writer.close()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("every length around the block and buffer sizes, in uneven pieces, reads back byte for byte",
          arguments: [0, 1, 4095, 4096, 4097, 8191, 8192, 8193, 3 * 8192 + 123, 100_000])
    func lengths(count: Int) throws {
        let folder = try TemporaryDirectory()
        let bytes = pseudoRandomBytes(count, seed: UInt64(count) + 1)
        for piece in [1000, 4096, 8192 + 5, max(count, 1)] where piece != 4096 || count != 4096 {
            #expect(try roundTrip(bytes, piece: piece, in: folder.path) == bytes, "piece \(piece)")
        }
    }

    @Test("a large file through the default buffers; on this file system the writes bypass the page cache")
    func defaultBuffers() throws {
        let folder = try TemporaryDirectory()
        let bytes = pseudoRandomBytes(9 << 20 + 777, seed: 7)
        let path = folder.path + "/big"
        let writer = try DirectFileWriter(creating: path)
        let direct = writer.isDirect
        try bytes.withUnsafeBytes { raw in
            // Pieces of 64 KiB, as an HTTP body arrives.
            for start in stride(from: 0, to: raw.count, by: 65536) {
                try writer.write(UnsafeRawBufferPointer(rebasing: raw[start..<min(start + 65536, raw.count)]))
            }
        }
        try writer.finish()
        try writer.close()
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        // ext4 and xfs take O_DIRECT; the contents are right either way.
        if Self.fileSystemTakesDirect(folder.path) { #expect(direct) }
    }

    /// Whether the file system at `path` is one known to take O_DIRECT (ext2/3/4, xfs, btrfs).
    /// (The longest mount point of /proc/mounts that holds it.)
    static func fileSystemTakesDirect(_ path: String) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return false }
        let real = (path as NSString).resolvingSymlinksInPath
        var best = (point: "", type: "")
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1]
            let holds = point == "/" || real == point || real.hasPrefix(point + "/")
            if holds && point.count > best.point.count { best = (point, fields[2]) }
        }
        return ["ext2", "ext3", "ext4", "xfs", "btrfs"].contains(best.type)
    }

    @Test("tmpfs (/dev/shm) takes the same writes, directly or through the page cache")
    func tmpfs() throws {
        guard FileManager.default.fileExists(atPath: "/dev/shm") else { return }
        let folder = "/dev/shm/followup-direct-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = pseudoRandomBytes(50_000, seed: 3)
        #expect(try roundTrip(bytes, piece: 3000, in: folder) == bytes)
    }

    @Test("an existing file is refused and left as it was; a missing folder is an error naming the path")
    func refusals() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path + "/taken"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { _ = try DirectFileWriter(creating: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep")
        let missing = folder.path + "/no/such/folder/file"
        do {
            _ = try DirectFileWriter(creating: missing)
            Issue.record("created a file in a missing folder")
        } catch {
            #expect("\(error)".contains(missing))
        }
    }

    @Test("a writer dropped or closed before finish stops its thread and leaves what it wrote")
    func droppedEarly() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path + "/dropped"
        do {
            let writer = try DirectFileWriter(creating: path, bufferBytes: 4096, buffers: 2)
            try pseudoRandomBytes(5 * 4096 + 100, seed: 9).withUnsafeBytes { try writer.write($0) }
        }
        // Five full buffers were handed off and written; the last 100 bytes were never finished.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(pseudoRandomBytes(5 * 4096, seed: 9)))

        // Closed without finish: close waits for the queued writes before the descriptor goes.
        let closedPath = folder.path + "/closed"
        let writer = try DirectFileWriter(creating: closedPath, bufferBytes: 4096, buffers: 2)
        try pseudoRandomBytes(7 * 4096, seed: 10).withUnsafeBytes { try writer.write($0) }
        try writer.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: closedPath)) == Data(pseudoRandomBytes(7 * 4096, seed: 10)))
    }
}
