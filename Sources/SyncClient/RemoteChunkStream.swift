import AsyncHTTPClient
import ContentStore
import NIOCore
import SyncProtocol

/// The chunks a pull must fetch, in the order it will write them, served from a few
/// large streamed requests (`POST /v1/chunks/fetch`, never one request per chunk).
///
/// The writer asks for the next chunk when it reaches it; the stream opens the next
/// window of ids (up to ``windowBytes`` or ``windowIDs``) when the previous one is
/// used up. Each frame must be the chunk expected, of the expected length once inflated;
/// the whole-file hash the writer checks covers the content.
final class RemoteChunkStream {
    // Large windows: each new request costs a round trip and the server's lookup of its
    // ids while nothing flows (32 MiB windows made a loopback pull ~15% slower).
    static let windowBytes = 256 << 20
    static let windowIDs = 65536

    private let api: APIClient
    private let chunks: [ChunkRef]
    private let compression: Bool
    private var position = 0
    private var windowEnd = 0
    private var body: StreamedResponse.Body.AsyncIterator?
    private var decoder: FrameDecoder

    /// Chunk bytes received (as stored, before any deflate) and bytes on the wire.
    private(set) var fetchedBytes: Int64 = 0
    private(set) var wireBytes: Int64 = 0

    init(api: APIClient, chunks: [ChunkRef], compression: Bool) {
        self.api = api
        self.chunks = chunks
        self.compression = compression
        decoder = FrameDecoder(allowsCompression: compression)
    }

    var totalBytes: Int64 { chunks.reduce(0) { $0 + Int64($1.length) } }

    func next(_ expected: ChunkRef) async throws -> [UInt8] {
        guard position < chunks.count, chunks[position] == expected else {
            throw SyncError.integrity("the pull asked for chunks out of order; this is a bug")
        }
        if position == windowEnd { try await openWindow() }
        while true {
            let frame: ChunkFrame?
            do { frame = try decoder.next() } catch { throw RemoteError.badResponse("\(error)") }
            if let frame {
                guard frame.id == ChunkDigest(words: expected.id.words) else {
                    throw RemoteError.badResponse("the server sent chunk \(frame.id) where \(expected.id) was asked for")
                }
                let bytes = frame.compressed ? try inflate(frame.bytes, length: expected.length) : frame.bytes
                guard bytes.count == expected.length else {
                    throw RemoteError.badResponse("chunk \(expected.id) is \(bytes.count) bytes, not \(expected.length)")
                }
                position += 1
                fetchedBytes += Int64(bytes.count)
                wireBytes += Int64(ChunkFrame.headerSize + frame.bytes.count)
                return bytes
            }
            guard var iterator = body else { throw RemoteError.badResponse("the chunk stream ended early") }
            let buffer: ByteBuffer?
            do { buffer = try await iterator.next() } catch { throw RemoteError.transport(APIClient.describe(error)) }
            body = iterator
            guard let buffer else { throw RemoteError.badResponse("the chunk stream ended early") }
            decoder.append(buffer.readableBytesView)
        }
    }

    /// Reads the rest of the current response (only its end should be left) and
    /// checks nothing unexpected came.
    func finish() async throws {
        try await drain()
    }

    private func openWindow() async throws {
        try await drain()
        var end = position
        var bytes = 0
        while end < chunks.count, end - position < Self.windowIDs, bytes < Self.windowBytes {
            bytes += chunks[end].length
            end += 1
        }
        let ids = chunks[position..<end].map { ChunkDigest(words: $0.id.words) }
        body = try await api.fetchChunks(ids, compression: compression).makeAsyncIterator()
        windowEnd = end
    }

    private func drain() async throws {
        guard var iterator = body else { return }
        do {
            while let buffer = try await iterator.next() { decoder.append(buffer.readableBytesView) }
        } catch {
            throw RemoteError.transport(APIClient.describe(error))
        }
        body = nil
        do {
            guard try decoder.next() == nil else { throw RemoteError.badResponse("the server sent more chunks than asked for") }
            try decoder.finish()
        } catch let error as FrameError {
            throw RemoteError.badResponse("\(error)")
        }
    }

    private func inflate(_ bytes: [UInt8], length: Int) throws -> [UInt8] {
        do { return try ChunkCompression.decompress(bytes, length: length) } catch { throw RemoteError.badResponse("\(error)") }
    }
}
