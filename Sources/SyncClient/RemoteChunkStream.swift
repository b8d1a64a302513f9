import AsyncHTTPClient
import ContentStore
import NIOCore
import SyncProtocol

/// The chunks a pull must fetch, in the order it will write them, served from a few
/// large streamed requests (`POST /v1/chunks/fetch`, never one request per chunk).
///
/// The writer asks for the next chunk when it reaches it. The ids go in windows, each its
/// own request, sent as soon as the window before it starts to arrive: the server checks
/// and looks up a window's ids (about 2 µs each) while the chunks of the one before flow.
/// The first window is small, so the first chunks come after the lookup of a few hundred
/// ids, not thousands; each next one is up to four times larger, up to ``windowBytes`` or
/// ``windowIDs``, so its lookup is over before the one before it has arrived. Each frame
/// must be the chunk expected, of the expected length once inflated; the whole-file hash
/// the writer checks covers the content.
final class RemoteChunkStream {
    // Large windows: each request costs a round trip and the server's lookup of its ids
    // (32 MiB windows, one after another, made a loopback pull ~15% slower).
    static let windowBytes = 256 << 20
    static let windowIDs = 65536
    /// The first window's limits.
    static let firstWindowBytes = 8 << 20
    static let firstWindowIDs = 256
    static let windowGrowth = 4
    /// What the connection reads of a window before the pull reaches it.
    static let waitingReadAhead = 1 << 20

    private let api: APIClient
    private let chunks: [ChunkRef]
    private let compression: Bool
    private var position = 0
    private var windowEnd = 0
    private var body: StreamedResponse.Body.AsyncIterator?
    /// The window after the current one, asked for already.
    private var nextWindow: (end: Int, request: APIClient.SentRequest)?
    /// The limits of the next window to ask for.
    private var nextWindowIDs: Int
    private var nextWindowBytes = RemoteChunkStream.firstWindowBytes
    /// Requests sent so far, one per window.
    private(set) var requests = 0
    private var slicer: FrameSlicer

    /// Chunk bytes received (as stored, before any deflate) and bytes on the wire.
    private(set) var fetchedBytes: Int64 = 0
    private(set) var wireBytes: Int64 = 0

    init(api: APIClient, chunks: [ChunkRef], compression: Bool, firstWindowIDs: Int = RemoteChunkStream.firstWindowIDs) {
        self.api = api
        self.chunks = chunks
        self.compression = compression
        nextWindowIDs = firstWindowIDs
        slicer = FrameSlicer(allowsCompression: compression)
    }

    var totalBytes: Int64 { chunks.reduce(0) { $0 + Int64($1.length) } }

    /// The next chunk's bytes: as they arrived (a slice of the response, not a copy) unless
    /// they were deflated.
    func next(_ expected: ChunkRef) async throws -> ByteBuffer {
        guard position < chunks.count, chunks[position] == expected else {
            throw SyncError.integrity("the pull asked for chunks out of order; this is a bug")
        }
        if position == windowEnd { try await openWindow() }
        while true {
            let frame: FrameSlicer.Frame?
            do { frame = try slicer.next() } catch { throw RemoteError.badResponse("\(error)") }
            if let frame {
                guard frame.id == ChunkDigest(words: expected.id.words) else {
                    throw RemoteError.badResponse("the server sent chunk \(frame.id) where \(expected.id) was asked for")
                }
                let bytes = frame.compressed ? try inflate(frame.bytes, length: expected.length) : frame.bytes
                guard bytes.readableBytes == expected.length else {
                    throw RemoteError.badResponse("chunk \(expected.id) is \(bytes.readableBytes) bytes, not \(expected.length)")
                }
                position += 1
                fetchedBytes += Int64(bytes.readableBytes)
                wireBytes += Int64(ChunkFrame.headerSize + frame.bytes.readableBytes)
                return bytes
            }
            guard var iterator = body else { throw RemoteError.badResponse("the chunk stream ended early") }
            let buffer: ByteBuffer?
            do { buffer = try await iterator.next() } catch { throw RemoteError.transport(APIClient.describe(error)) }
            body = iterator
            guard let buffer else { throw RemoteError.badResponse("the chunk stream ended early") }
            slicer.append(buffer)
        }
    }

    /// Reads the rest of the current response (only its end should be left) and
    /// checks nothing unexpected came.
    func finish() async throws {
        try await drain()
    }

    /// Asks for the first window now, before the writer needs it: the server checks and
    /// looks up its ids while the pull makes its last preparations.
    func start() throws {
        guard position == 0, windowEnd == 0, nextWindow == nil, !chunks.isEmpty else { return }
        nextWindow = try sendWindow(from: 0)
    }

    private func openWindow() async throws {
        try await drain()
        let window = try nextWindow ?? sendWindow(from: position)
        nextWindow = nil
        body = try await window.request.response(readAhead: StreamedResponse.readAheadBytes).body.makeAsyncIterator()
        windowEnd = window.end
        if windowEnd < chunks.count { nextWindow = try sendWindow(from: windowEnd) }
    }

    /// Asks for the next window of chunks, from `start` on.
    private func sendWindow(from start: Int) throws -> (end: Int, request: APIClient.SentRequest) {
        var end = start
        var total = 0
        while end < chunks.count, end - start < nextWindowIDs, total < nextWindowBytes {
            total += chunks[end].length
            end += 1
        }
        nextWindowIDs = min(nextWindowIDs * Self.windowGrowth, Self.windowIDs)
        nextWindowBytes = min(nextWindowBytes * Self.windowGrowth, Self.windowBytes)
        let digests = chunks[start..<end].map { ChunkDigest(words: $0.id.words) }
        requests += 1
        // Read ahead only a little while the window before it is still being read: memory
        // holds two windows' read-ahead then.
        return (end, try api.sendFetch(digests, compression: compression, readAhead: Self.waitingReadAhead))
    }

    private func drain() async throws {
        guard var iterator = body else { return }
        do {
            while let buffer = try await iterator.next() { slicer.append(buffer) }
        } catch {
            throw RemoteError.transport(APIClient.describe(error))
        }
        body = nil
        do {
            guard try slicer.next() == nil else { throw RemoteError.badResponse("the server sent more chunks than asked for") }
            try slicer.finish()
        } catch let error as FrameError {
            throw RemoteError.badResponse("\(error)")
        }
    }

    /// A deflated frame, inflated from where it arrived into a buffer of the chunk's length.
    private func inflate(_ bytes: ByteBuffer, length: Int) throws -> ByteBuffer {
        var chunk = ByteBufferAllocator().buffer(capacity: length)
        do {
            try chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
                try bytes.withUnsafeReadableBytes { try ChunkCompression.decompress($0, into: UnsafeMutableRawBufferPointer(rebasing: target[..<length])) }
                return length
            }
        } catch {
            throw RemoteError.badResponse("\(error)")
        }
        return chunk
    }
}
