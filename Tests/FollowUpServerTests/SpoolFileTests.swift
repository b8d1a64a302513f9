import Foundation
import Testing
@testable import FollowUpServer

@Suite("Spool files")
struct SpoolFileTests {
    @Test("bytes appended in pieces come back in order, in pieces of any size, and leave no file behind")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let spool = try SpoolFile(in: directory.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        var written: [UInt8] = []
        for n in 0..<20 {
            let piece = (0..<(n * 37 + 1)).map { UInt8(truncatingIfNeeded: $0 * 7 + n) }
            try spool.append(piece)
            written += piece
        }
        #expect(spool.size == Int64(written.count))
        for size in [1, 64, 1000, written.count, written.count + 5] {
            var read: [UInt8] = []
            var pieces = 0
            try await spool.forEachPiece(of: size) { piece in
                #expect(piece.count <= size)
                read += piece
                pieces += 1
            }
            #expect(read == written)
            #expect(pieces == (written.count + size - 1) / size)
        }
        let empty = try SpoolFile(in: directory.path)
        try await empty.forEachPiece(of: 10) { _ in Issue.record("an empty spool has no piece") }
    }
}
