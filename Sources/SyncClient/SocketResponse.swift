import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP/1.1 request over a plain TCP connection of its own, its response read by a
/// thread of its own with blocking calls, into a queue the reader takes pieces from: the
/// transport of ``StreamedResponse`` for `http` servers (chunk fetches, exports).
///
/// AsyncHTTPClient reads through an event loop: 64 KiB per read, each piece through the
/// channel's pipeline, the loop woken for every read. For the 516 MB of the benchmarks'
/// pull that was 0.16 s of the client's CPU on its event loop; this thread reads the same
/// bytes, up to 256 KiB at a time, in a third of that. TLS stays with AsyncHTTPClient.
final class SocketResponse: ResponseSource, @unchecked Sendable {
    struct Request: Sendable {
        var host: String
        var port: Int
        /// The request's head, as sent, and its body (the caller's buffer, not a copy).
        var head: [UInt8]
        var body: ByteBuffer?
        var isHead: Bool

        /// `target` is the path and query; the caller's `headers` go as they are, except for
        /// those this connection sets itself.
        init(method: HTTPMethod, server: PlainHTTPServer, target: String, headers: HTTPHeaders, body: ByteBuffer?) {
            var text = "\(method.rawValue) \(target) HTTP/1.1\r\nHost: \(server.authority)\r\n"
            for (name, value) in headers where !["host", "content-length", "connection", "transfer-encoding"].contains(name.lowercased()) {
                text += "\(name): \(value)\r\n"
            }
            if let body { text += "Content-Length: \(body.readableBytes)\r\n" }
            // One request per connection: its end is the response's end too.
            text += "Connection: close\r\n\r\n"
            head = Array(text.utf8)
            self.body = body
            host = server.host
            port = server.port
            isHead = method == .HEAD
        }
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var head: Result<(status: Int, headers: HTTPHeaders), any Error>?
    private var headWaiter: CheckedContinuation<(status: Int, headers: HTTPHeaders), any Error>?
    private var pieces = CircularBuffer<ByteBuffer>()
    private var queued = 0
    private var end: Result<Void, any Error>?
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?
    private var limit: Int
    private var cancelled = false
    /// The thread waits for the reader to take pieces.
    private var paused = false
    private var socket: BlockingSocket?
    /// The request until it is sent: a window's list of ids is megabytes, not to be kept
    /// for as long as its chunks arrive.
    private var unsent: Request?
    private let isHead: Bool
    private let buffers: ReceiveBuffers

    /// Starts the thread that connects, sends `request` and reads the answer, up to
    /// `readAhead` bytes ahead of the reader. Each wait is bounded by `timeout`.
    init(_ request: Request, buffers: ReceiveBuffers, timeout: Duration, readAhead: Int) {
        limit = readAhead
        self.buffers = buffers
        unsent = request
        isHead = request.isHead
        let thread = Thread { [self] in run(timeout: timeout) }
        thread.name = "followup-http"
        thread.start()
    }

    // MARK: The reader's side

    func head() async throws -> (status: Int, headers: HTTPHeaders) {
        try await withCheckedThrowingContinuation { continuation in
            let head = condition.withLock {
                if self.head == nil { headWaiter = continuation }
                return self.head
            }
            if let head { continuation.resume(with: head) }
        }
    }

    func take() -> Result<ByteBuffer?, any Error>? {
        condition.withLock { takeLocked() }
    }

    func wait() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            let taken: Result<ByteBuffer?, any Error>? = condition.withLock {
                let taken = takeLocked()
                if taken == nil { waiter = continuation }
                return taken
            }
            if let taken { continuation.resume(with: taken) }
        }
    }

    func raiseLimit(to limit: Int) {
        condition.withLock {
            guard limit > self.limit else { return }
            self.limit = limit
            condition.broadcast()
        }
    }

    var ended: Bool { condition.withLock { end != nil } }

    var backlog: (bytes: Int, paused: Bool) { condition.withLock { (queued, paused) } }

    /// Stops the thread (its socket is shut down) and fails whoever waits.
    func cancel() {
        finish(.failure(CancellationError()), cancelling: true)
    }

    /// Under the lock: the next piece, the end (a `nil` piece or the failure), or nil to wait.
    private func takeLocked() -> Result<ByteBuffer?, any Error>? {
        guard let piece = pieces.popFirst() else { return end.map { $0.map { nil } } }
        queued -= piece.readableBytes
        if queued <= limit / 2 { condition.broadcast() }
        return .success(piece)
    }

    // MARK: The thread's side

    private func run(timeout: Duration) {
        // Closed once the thread is done with it (cancelling needs it only until then).
        defer { condition.withLock { socket = nil } }
        do {
            guard let socket = try send(timeout: timeout) else { return }
            var decoder = HTTP1ResponseDecoder(requestWasHead: isHead)
            var atEnd = false
            while !atEnd {
                var buffer = buffers.take()
                // The first read waits; the next ones take what has arrived, up to the capacity,
                // so that the reader is handed fewer, larger pieces.
                var wait = true
                while buffer.writableBytes > 0 {
                    let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                        try socket.receive(into: space, wait: wait) ?? 0
                    }
                    if count == 0 {
                        atEnd = wait
                        break
                    }
                    wait = false
                }
                var parts = try decoder.decode(buffer)
                buffers.giveBack(buffer)
                if atEnd { parts += try decoder.finish() }
                guard deliver(parts) else { return }
                if decoder.isComplete { return }
            }
        } catch {
            finish(.failure(error), cancelling: false)
        }
    }

    /// Connects and sends the request, which is then let go; nil if cancelled meanwhile.
    private func send(timeout: Duration) throws -> BlockingSocket? {
        guard let request = condition.withLock({ unsent.take() }) else { return nil }
        let socket = try BlockingSocket.connect(host: request.host, port: request.port, timeout: timeout)
        let proceed = condition.withLock {
            self.socket = socket
            return !cancelled
        }
        guard proceed else { return nil }
        try request.head.withUnsafeBytes { try socket.send($0) }
        try request.body?.withUnsafeReadableBytes { try socket.send($0) }
        return socket
    }

    /// Hands the parts to the reader, then waits while the queue is full. False once cancelled.
    private func deliver(_ parts: [HTTP1ResponseDecoder.Part]) -> Bool {
        var resumeHead: CheckedContinuation<(status: Int, headers: HTTPHeaders), any Error>?
        var resumeHeadWith: (status: Int, headers: HTTPHeaders)?
        var handOff: (CheckedContinuation<ByteBuffer?, any Error>, ByteBuffer?)?
        condition.lock()
        for part in parts {
            switch part {
            case let .head(status, headers):
                head = .success((status, headers))
                resumeHead = headWaiter
                resumeHeadWith = (status, headers)
                headWaiter = nil
            case .body(let piece):
                if let waiting = waiter, pieces.isEmpty {
                    waiter = nil
                    handOff = (waiting, piece)
                } else {
                    pieces.append(piece)
                    queued += piece.readableBytes
                }
            case .end:
                end = .success(())
                if let waiting = waiter, pieces.isEmpty {
                    waiter = nil
                    handOff = (waiting, nil)
                }
            }
        }
        condition.unlock()
        if let resumeHead, let resumeHeadWith { resumeHead.resume(returning: resumeHeadWith) }
        if let (continuation, piece) = handOff { continuation.resume(returning: piece) }
        return condition.withLock {
            while queued >= limit && !cancelled {
                paused = true
                condition.wait()
            }
            paused = false
            return !cancelled
        }
    }

    private func finish(_ result: Result<Void, any Error>, cancelling: Bool) {
        let (headWaiter, waiter, socket): (CheckedContinuation<(status: Int, headers: HTTPHeaders), any Error>?, CheckedContinuation<ByteBuffer?, any Error>?, BlockingSocket?) = condition.withLock {
            if cancelling { cancelled = true }
            condition.broadcast()
            guard end == nil || cancelling else { return (nil, nil, nil) }
            if end == nil { end = result }
            if head == nil, case .failure(let error) = result { head = .failure(error) }
            defer { (self.headWaiter, self.waiter) = (nil, nil) }
            return (self.headWaiter, self.waiter, cancelling ? self.socket : nil)
        }
        socket?.shutdown()
        if let headWaiter, case .failure(let error) = result { headWaiter.resume(throwing: error) }
        waiter?.resume(with: result.map { nil })
    }
}

/// The buffers ``SocketResponse``s read into, used again once their reader has let go of
/// every piece of them: a fresh buffer is memory faulted in page by page (40 ms of the
/// benchmarks' pull). Each is 1 MiB, at glibc's mmap threshold (`MallocTuning`): a mapping
/// of its own, not memory of the reading thread's arena, which a thread per request would
/// leave behind, a few MB each (the 100,000-file pull peaked 8 MB higher).
final class ReceiveBuffers: Sendable {
    static let bufferBytes = 256 << 10
    /// Buffers kept for later (a window's read-ahead and the next one's); more may be out
    /// at once, and are unmapped when let go.
    static let kept = 12

    private let free = Mutex<[ByteBuffer]>([])

    init() {}

    /// A cleared buffer: one no piece refers to any more, or a new one.
    func take() -> ByteBuffer {
        let reused: ByteBuffer? = free.withLock { buffers in
            for index in buffers.indices.reversed() {
                if buffers[index].modifyIfUniquelyOwned({ $0.clear() }) != nil { return buffers.remove(at: index) }
            }
            return nil
        }
        return reused ?? ByteBufferAllocator().buffer(capacity: Self.bufferBytes)
    }

    /// Forgets the kept buffers: each goes once its last piece does.
    func releaseAll() {
        free.withLock { $0.removeAll() }
    }

    /// Keeps `buffer`, whose pieces may still be in use, to be taken again once they are not.
    func giveBack(_ buffer: ByteBuffer) {
        free.withLock { buffers in
            if buffers.count < Self.kept { buffers.append(buffer) }
        }
    }
}
