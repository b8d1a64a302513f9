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

    /// A piece's capacity: frames are added while they fit (a larger one goes alone). A power
    /// of two, as `ByteBuffer` rounds capacities up to one.
    static let pieceBytes = 512 << 10
    /// Pieces the connection may hold at once; the next piece waits for one to come back.
    static let pieces = 6

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
        /// The pieces, each filled again once the connection is done with it. AsyncHTTPClient
        /// asks for the next part before it has written the last, so with three pieces in
        /// turn half of them were still held when their turn came, and a fresh buffer was
        /// faulted in page by page in their place (64,000 faults and 12% of the client's CPU
        /// in a push of the benchmark's dataset).
        private var pieces: [ByteBuffer] = []
        /// An item taken that did not fit in the last piece: the first of the next.
        private var held: Item?

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
            let slot = try await freePiece()
            var buffer = ByteBuffer()
            swap(&buffer, &pieces[slot])  // `buffer` holds the only reference while it is filled
            while true {
                let item: Item
                if let first = held {
                    item = first
                    held = nil
                } else if let taken = await nextItem(pieceIsEmpty: buffer.readableBytes == 0) {
                    item = taken
                } else {
                    break
                }
                if buffer.readableBytes > 0, buffer.readableBytes + ChunkFrame.headerSize + item.chunk.length > UploadFrames.pieceBytes {
                    held = item
                    break
                }
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
            pieces[slot] = buffer
            return buffer.readableBytes == 0 ? nil : buffer
        }

        /// The index of a piece the connection no longer holds, cleared; a new piece while
        /// there are fewer than ``UploadFrames/pieces``. When the connection holds them all
        /// (3 MiB to send), after a pause (see ``ReleasedBuffer``).
        private func freePiece() async throws -> Int {
            try await ReleasedBuffer.wait {
                if let slot = pieces.indices.first(where: { pieces[$0].modifyIfUniquelyOwned({ $0.clear() }) != nil }) { return slot }
                guard pieces.count < UploadFrames.pieces else { return nil }
                pieces.append(ByteBufferAllocator().buffer(capacity: UploadFrames.pieceBytes))
                return pieces.count - 1
            }
        }
    }
}
