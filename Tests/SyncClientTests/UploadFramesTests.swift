import ContentStore
import Foundation
import NIOCore
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("UploadFrames: an upload's body, in reused pieces")
struct UploadFramesTests {
    /// Two files, and chunks of them whose lengths leave pieces part-full: a frame that does
    /// not fit goes in the next piece; one larger than a piece goes alone.
    func fixture() throws -> (root: String, paths: [String], files: [[UInt8]], items: [UploadFrames.Item]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("followup-frames-\(UUID().uuidString)").path
        let files = [TestTree.bytes(3_000_000, seed: 7), TestTree.bytes(900_000, seed: 8)]
        try TestTree.write(root, "a.bin", files[0])
        try TestTree.write(root, "b/c.bin", files[1])
        let lengths = [200_000, 300_000, 40, 262_144, 700_000, 1, 100_000, 250_000, 99_999, 523_000, 350_000]
        var items: [UploadFrames.Item] = []
        var offsets = [0, 0]
        for (index, length) in lengths.enumerated() {
            let file = index % 3 == 2 ? 1 : 0
            let offset = offsets[file] % (files[file].count - length)
            offsets[file] += 123_457
            items.append(.init(file: file, offset: Int64(offset), chunk: ChunkRef(id: ChunkID(words: (UInt64(index), 1, 2, 3)), length: length)))
        }
        return (root, ["a.bin", "b/c.bin"], files, items)
    }

    func frames(in pieces: [ByteBuffer]) throws -> [ChunkFrame] {
        var decoder = FrameDecoder()
        var frames: [ChunkFrame] = []
        for piece in pieces {
            decoder.append(piece.readableBytesView)
            while let frame = try decoder.next() { frames.append(frame) }
        }
        try decoder.finish()
        return frames
    }

    @Test("every item becomes one frame with its file's bytes, in order; pieces stay within their size unless one frame is larger")
    func framesInOrder() async throws {
        let (root, paths, files, items) = try fixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sent = SentBytes()
        var pieces: [ByteBuffer] = []
        for try await piece in UploadFrames(root: root, paths: paths, items: items[...], sent: { sent.add($0) }) {
            let oneFrame = try frames(in: [piece]).count == 1
            #expect(piece.readableBytes <= UploadFrames.pieceBytes || oneFrame)
            pieces.append(ByteBuffer(bytes: piece.readableBytesView))  // a copy: the piece is refilled
        }
        let decoded = try frames(in: pieces)
        #expect(decoded.count == items.count)
        for (frame, item) in zip(decoded, items) {
            #expect(frame.id == ChunkDigest(words: item.chunk.id.words))
            let start = Int(item.offset)
            #expect(frame.bytes[...] == files[item.file][start..<start + item.chunk.length])
        }
        #expect(sent.total == items.reduce(0) { $0 + $1.chunk.length })
        #expect(pieces.count > 3)
    }

    @Test("a piece the connection still holds is never refilled")
    func heldPiecesStayIntact() async throws {
        let (root, paths, _, items) = try fixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Hold the last pieces handed out, as a slow connection would (one fewer than the
        // pool, or the sequence would wait for ever), and check none changes under us.
        var held: [(piece: ByteBuffer, copy: [UInt8])] = []
        var all: [ByteBuffer] = []
        for try await piece in UploadFrames(root: root, paths: paths, items: (items + items)[...], sent: { _ in }) {
            for (piece, copy) in held { #expect(Array(piece.readableBytesView) == copy) }
            held.append((piece, Array(piece.readableBytesView)))
            if held.count == UploadFrames.pieces - 1 { held.removeFirst() }
            all.append(ByteBuffer(bytes: piece.readableBytesView))
        }
        #expect(try frames(in: all).count == items.count * 2)
    }
}

private final class SentBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var sum = 0
    func add(_ bytes: Int) { lock.withLock { sum += bytes } }
    var total: Int { lock.withLock { sum } }
}
