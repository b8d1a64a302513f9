import ContentStore
import NIOCore
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The body of one `PUT /v1/chunks`: frames of chunks read straight from the pushed
/// files as the connection takes them, so memory holds one piece (about half a MiB) however
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
    static let piecesInTurn = 3

    /// Where a request's items come from: a fixed list (a resend), or a push's queue, up
    /// to `limit` bytes, recording each item taken in `taken`.
    enum Source: Sendable {
        case items(ArraySlice<Item>)
        case queue(UploadQueue, first: Item, limit: Int64, taken: SentItems)
    }

    /// The pushed folder, and each item's file relative to it (the absolute path is made
    /// only while the file is open).
    let root: String
    let paths: [String]
    let source: Source
    /// Called with each chunk's length as it is handed to the connection.
    let sent: @Sendable (Int) -> Void

    init(root: String, paths: [String], items: ArraySlice<Item>, sent: @escaping @Sendable (Int) -> Void) {
        self.init(root: root, paths: paths, source: .items(items), sent: sent)
    }

    init(root: String, paths: [String], source: Source, sent: @escaping @Sendable (Int) -> Void) {
        self.root = root
        self.paths = paths
        self.source = source
        self.sent = sent
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(root: root, paths: paths, source: source, sent: sent)
    }

    final class Iterator: AsyncIteratorProtocol {
        private let root: String
        private let paths: [String]
        private let source: Source
        private let sent: @Sendable (Int) -> Void
        private var position = 0
        private var bytes: Int64 = 0
        private var fd: Int32 = -1
        private var openFile = -1
        private var openPath = ""
        /// Pieces in turn: by the time a piece's turn comes back the connection is done
        /// with it, so its memory is filled again rather than a fresh buffer faulted in
        /// page by page (17% of a push's client time). Should the connection still hold
        /// it, `clear()` copies on write into a fresh buffer.
        private var pieces: [ByteBuffer] = []
        private var nextPiece = 0

        init(root: String, paths: [String], source: Source, sent: @escaping @Sendable (Int) -> Void) {
            self.root = root
            self.paths = paths
            self.source = source
            self.sent = sent
            if case .items(let items) = source { position = items.startIndex }
        }

        deinit {
            if fd >= 0 { FileIO.close(fd) }
        }

        /// The next item to send: from the list; from the queue, waiting for one only
        /// when the piece is still empty (what is ready goes out without waiting).
        private func nextItem(pieceIsEmpty: Bool) async -> Item? {
            switch source {
            case .items(let items):
                guard position < items.endIndex else { return nil }
                defer { position += 1 }
                return items[position]
            case let .queue(queue, first, limit, taken):
                let item: Item?
                if position == 0 {
                    item = first
                } else if bytes >= limit {
                    return nil
                } else {
                    item = pieceIsEmpty ? await queue.next() : queue.poll()
                }
                if let item {
                    position += 1
                    taken.append(item)
                }
                return item
            }
        }

        func next() async throws -> ByteBuffer? {
            if pieces.count < UploadFrames.piecesInTurn {
                pieces.append(ByteBufferAllocator().buffer(capacity: UploadFrames.pieceBytes + ChunkFrame.headerSize + 256 << 10))
            }
            var buffer = pieces[nextPiece]
            pieces[nextPiece] = ByteBuffer()  // `buffer` holds the only reference while it is filled
            buffer.clear()
            while buffer.readableBytes < UploadFrames.pieceBytes, let item = await nextItem(pieceIsEmpty: buffer.readableBytes == 0) {
                if item.file != openFile {
                    if fd >= 0 { FileIO.close(fd) }
                    fd = -1
                    openPath = root + "/" + paths[item.file]
                    fd = try FileIO.open(openPath, O_RDONLY)
                    openFile = item.file
                }
                buffer.writeBytes(try FrameEncoder.header(id: ChunkDigest(words: item.chunk.id.words), length: item.chunk.length))
                let path = openPath
                let descriptor = fd
                try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: item.chunk.length) { raw in
                    let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<item.chunk.length])
                    try FileIO.pread(descriptor, into: target, at: item.offset, path: path)
                    return item.chunk.length
                }
                bytes += Int64(item.chunk.length)
                sent(item.chunk.length)
            }
            pieces[nextPiece] = buffer
            nextPiece = (nextPiece + 1) % UploadFrames.piecesInTurn
            return buffer.readableBytes == 0 ? nil : buffer
        }
    }
}
