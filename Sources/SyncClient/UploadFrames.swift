import ContentStore
import NIOCore
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The body of one `PUT /v1/chunks`: frames of chunks read straight from the pushed
/// files as the connection takes them, so memory holds one piece (about 1 MiB) however
/// much is uploaded, and reading overlaps the server's hashing and writing.
struct UploadFrames: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// One chunk to send: where it is in which file.
    struct Item: Sendable {
        var file: Int
        var offset: Int64
        var chunk: ChunkRef
    }

    static let pieceBytes = 512 << 10

    /// The pushed folder, and each item's file relative to it (the absolute path is made
    /// only while the file is open).
    let root: String
    let paths: [String]
    let items: ArraySlice<Item>
    /// Called with each chunk's length as it is handed to the connection.
    let sent: @Sendable (Int) -> Void

    var bytes: Int64 { items.reduce(0) { $0 + Int64($1.chunk.length) } }

    func makeAsyncIterator() -> Iterator {
        Iterator(root: root, paths: paths, items: items, sent: sent)
    }

    final class Iterator: AsyncIteratorProtocol {
        private let root: String
        private let paths: [String]
        private let items: ArraySlice<Item>
        private let sent: @Sendable (Int) -> Void
        private var position: Int
        private var fd: Int32 = -1
        private var openFile = -1
        private var openPath = ""

        init(root: String, paths: [String], items: ArraySlice<Item>, sent: @escaping @Sendable (Int) -> Void) {
            self.root = root
            self.paths = paths
            self.items = items
            self.sent = sent
            position = items.startIndex
        }

        deinit {
            if fd >= 0 { FileIO.close(fd) }
        }

        func next() async throws -> ByteBuffer? {
            guard position < items.endIndex else { return nil }
            var buffer = ByteBuffer()
            buffer.reserveCapacity(UploadFrames.pieceBytes + ChunkFrame.headerSize + 256 << 10)
            while position < items.endIndex && buffer.readableBytes < UploadFrames.pieceBytes {
                let item = items[position]
                if item.file != openFile {
                    if fd >= 0 { FileIO.close(fd) }
                    fd = -1
                    openPath = root + "/" + paths[item.file]
                    fd = try FileIO.open(openPath, O_RDONLY)
                    openFile = item.file
                }
                buffer.writeBytes(try FrameEncoder.header(id: ChunkDigest(bytes: item.chunk.id.bytes)!, length: item.chunk.length))
                let path = openPath
                let descriptor = fd
                try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: item.chunk.length) { raw in
                    let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<item.chunk.length])
                    try FileIO.pread(descriptor, into: target, at: item.offset, path: path)
                    return item.chunk.length
                }
                sent(item.chunk.length)
                position += 1
            }
            return buffer
        }
    }
}
