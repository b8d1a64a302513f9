import ContentStore
#if canImport(Glibc)
import Glibc
#endif

/// Bytes made before they can be sent (an export's manifest, which the tar needs whole, with
/// its size, before the files), kept on disk instead of in memory: the manifest of 100,000
/// files is some 30 MB. The file is unlinked as soon as it is open, so nothing is left
/// behind whatever happens to the request; it goes when the spool does.
final class SpoolFile: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    /// Bytes appended so far.
    private(set) var size: Int64 = 0

    /// A new, empty spool in `directory` (on the storage's disk: the store's staging folder).
    init(in directory: String) throws {
        path = directory + "/spool-" + SecureRandom.hex(8)
        fd = try FileIO.open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try? FileIO.unlink(path)
    }

    deinit { FileIO.close(fd) }

    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try FileIO.write(fd, $0, path: path) }
        size += Int64(bytes.count)
    }

    /// Calls `body` with the spool's bytes in order, `pieceBytes` at a time.
    func forEachPiece(of pieceBytes: Int, _ body: ([UInt8]) async throws -> Void) async throws {
        var offset: Int64 = 0
        var piece = [UInt8](repeating: 0, count: pieceBytes)
        while offset < size {
            let count = Int(min(Int64(pieceBytes), size - offset))
            if piece.count != count { piece = [UInt8](repeating: 0, count: count) }
            try piece.withUnsafeMutableBytes { try FileIO.pread(fd, into: $0, at: offset, path: path) }
            try await body(piece)
            offset += Int64(count)
        }
    }
}
