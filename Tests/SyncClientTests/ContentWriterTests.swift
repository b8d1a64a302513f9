import ContentStore
import Foundation
import Testing
@testable import SyncClient

@Suite("ContentWriter: contents written through aligned buffers, hashed and written on two lanes of two threads")
struct ContentWriterTests {
    /// A piece of a content: bytes, or a run of zeros written as a hole.
    enum Piece {
        case bytes([UInt8])
        case zeros(Int)

        var count: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .zeros(let count): count
            }
        }
    }

    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("followup-cw-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func whole(_ pieces: [Piece]) -> [UInt8] {
        pieces.flatMap { piece -> [UInt8] in
            switch piece {
            case .bytes(let bytes): bytes
            case .zeros(let count): [UInt8](repeating: 0, count: count)
            }
        }
    }

    /// Writes each content in appends of `step` bytes, then drains.
    static func write(_ contents: [[Piece]], in folder: String, step: Int, expected: ((Int) -> ChunkID)? = nil) throws -> [ContentWriter.Content] {
        let writer = try ContentWriter()
        var written: [ContentWriter.Content] = []
        for (n, pieces) in contents.enumerated() {
            let bytes = whole(pieces)
            let content = try writer.begin(
                path: folder + "/c\(n).part", expected: expected?(n) ?? SHA256.hash(bytes), size: Int64(bytes.count), prefix: 0)
            for piece in pieces {
                switch piece {
                case .bytes(let bytes):
                    var start = 0
                    while start < bytes.count {
                        let end = min(start + step, bytes.count)
                        try bytes[start..<end].withUnsafeBytes { try writer.append($0) }
                        start = end
                    }
                case .zeros(let count):
                    try writer.appendZeros(count)
                }
            }
            try writer.finish(size: Int64(bytes.count))
            written.append(content)
        }
        try writer.drain()
        return written
    }

    @Test("contents of every size around blocks and buffers, one after another: each matches and reads back whole")
    func sizes() throws {
        let folder = try Folder()
        let sizes = [0, 1, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 5, 70_000]
        let contents = sizes.enumerated().map { n, size in [Piece.bytes(TestTree.bytes(size, seed: UInt64(n + 1)))] }
        for step in [65_536, 1_000_003] {
            try? FileManager.default.removeItem(atPath: folder.path)
            try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
            let written = try Self.write(contents, in: folder.path, step: step)
            for (n, content) in written.enumerated() {
                #expect(content.matches, "size \(sizes[n]), appends of \(step)")
                #expect(try TestTree.read(folder.path, "c\(n).part") == Self.whole(contents[n]), "size \(sizes[n])")
            }
        }
    }

    @Test("zeros become holes of whole blocks; the hash and the bytes read back still have them")
    func holes() throws {
        let folder = try Folder()
        let pieces: [Piece] = [.bytes(TestTree.bytes(5_000, seed: 3)), .zeros(3 << 20), .bytes(TestTree.bytes(100, seed: 4)), .zeros(10_000)]
        let written = try Self.write([pieces], in: folder.path, step: 4096)
        #expect(written[0].matches)
        let path = folder.path + "/c0.part"
        #expect(try TestTree.read(folder.path, "c0.part") == Self.whole(pieces))
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_size == 5_000 + (3 << 20) + 100 + 10_000)
        #expect(Int(status.st_blocks) * 512 < 1 << 20, "the 3 MiB of zeros take no blocks")
    }

    @Test("zeros of the content being written read back as zeros, even past the end written so far")
    func readCurrentHole() throws {
        let folder = try Folder()
        let head = TestTree.bytes(6_000, seed: 8)
        let writer = try ContentWriter()
        let size = 6_000 + (2 << 20)
        var whole = head
        whole += [UInt8](repeating: 0, count: 2 << 20)
        let content = try writer.begin(path: folder.path + "/holes.part", expected: SHA256.hash(whole), size: Int64(size), prefix: 0)
        try head.withUnsafeBytes { try writer.append($0) }
        try writer.appendZeros(2 << 20)
        #expect(try writer.readCurrent(offset: 5_000, length: 1 << 20) == Array(whole[5_000..<(5_000 + (1 << 20))]))
        #expect(try writer.readCurrent(offset: Int64(size - 4096), length: 4096) == [UInt8](repeating: 0, count: 4096))
        try writer.finish(size: Int64(size))
        try writer.drain()
        #expect(content.matches)
    }

    @Test("a content whose hash differs, or that was spoiled, does not match; the others still do")
    func mismatches() throws {
        let folder = try Folder()
        // Small contents are hashed two at a time: a wrong one first or second of its pair,
        // and a fifth hashed alone when the writer drains.
        let contents = (0..<5).map { [Piece.bytes(TestTree.bytes(10_000 + $0, seed: UInt64($0)))] }
        let wrong = SHA256.hash(Array("something else".utf8))
        let written = try Self.write(contents, in: folder.path, step: 4096) { [0, 3].contains($0) ? wrong : SHA256.hash(Self.whole(contents[$0])) }
        #expect(written.map(\.matches) == [false, true, true, false, true])
        for n in contents.indices { #expect(try TestTree.read(folder.path, "c\(n).part") == Self.whole(contents[n])) }

        let writer = try ContentWriter()
        let bytes = TestTree.bytes(9_000, seed: 9)
        let spoiled = try writer.begin(path: folder.path + "/spoiled.part", expected: SHA256.hash(bytes), size: 9_000, prefix: 0)
        try bytes.withUnsafeBytes { try writer.append($0) }
        writer.spoil()
        try writer.finish(size: 9_000)
        try writer.drain()
        #expect(!spoiled.matches)
    }

    @Test("a kept prefix (an interrupted pull's) is hashed from the file, the rest appended after it")
    func prefix() throws {
        let folder = try Folder()
        let bytes = TestTree.bytes(2_500_000, seed: 5)
        let path = folder.path + "/resumed.part"
        // The prefix on disk, and garbage after it that must go.
        try Data(bytes[..<1_234_567] + [1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let writer = try ContentWriter()
        let content = try writer.begin(path: path, expected: SHA256.hash(bytes), size: Int64(bytes.count), prefix: 1_234_567)
        try bytes[1_234_567...].withUnsafeBytes { try writer.append($0) }
        try writer.finish(size: Int64(bytes.count))
        try writer.drain()
        #expect(content.matches)
        #expect(try TestTree.read(folder.path, "resumed.part") == bytes)
    }

    @Test("bytes of the content being written read back across what is on disk and what is still buffered")
    func readCurrent() throws {
        let folder = try Folder()
        let bytes = TestTree.bytes((5 << 20) / 2, seed: 6)
        let writer = try ContentWriter()
        let content = try writer.begin(path: folder.path + "/current.part", expected: SHA256.hash(bytes), size: Int64(bytes.count), prefix: 0)
        try bytes.withUnsafeBytes { try writer.append($0) }
        for (offset, length) in [(0, 100), ((1 << 20) - 100, (1 << 20) + 50_000), ((5 << 20) / 2 - 1000, 1000), (2 << 20, 4096)] {
            let read = try writer.readCurrent(offset: Int64(offset), length: length)
            #expect(read.map { Array($0) } == Array(bytes[offset..<offset + length]), "offset \(offset), length \(length)")
        }
        try writer.finish(size: Int64(bytes.count))
        try writer.drain()
        #expect(content.matches)
    }
}
