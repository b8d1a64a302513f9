import Foundation
import Testing
@testable import ContentStore

@Suite("Chunking files in parallel")
struct FileChunkingTests {
    /// Files of 0, 1 and 3 MiB + 7 bytes of a pattern with structure but no repeats.
    static func files(in folder: String) throws -> [ScannedFile] {
        try [0, 1 << 20, 3 << 20 + 7].enumerated().map { n, size in
            var state = UInt64(n + 1) &* 0x9E37_79B9_7F4A_7C15
            let bytes = (0..<size).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            let path = folder + "/f\(n).bin"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return ScannedFile(path: "f\(n).bin", root: folder, size: Int64(size), mode: 0o644, modifiedNanoseconds: 0)
        }
    }

    @Test("a file hashed whole by a second task gets the manifest of a single pass, and its SHA-256")
    func separateWholeFileHash() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try Self.files(in: folder)
        let chunker = try Chunker(.standard)
        let single = try await FileChunking.manifests(of: files, chunker: chunker, separateHashBytes: .max)
        let split = try await FileChunking.manifests(of: files, chunker: chunker, separateHashBytes: 1)
        #expect(split == single)
        for (file, manifest) in zip(files, split) {
            #expect(manifest.fileHash == SHA256.hash(try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.absolutePath)))))
            #expect(manifest.chunks.reduce(0) { $0 + $1.length } == Int(file.size))
        }
        #expect(split[2].chunks.count > 10)
    }
}
