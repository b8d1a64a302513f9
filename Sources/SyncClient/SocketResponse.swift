import Dispatch
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
final class SocketResponse: Sendable {
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

    /// Where the head and the body's pieces go; the reader takes them from there.
    let queue: ReadAheadQueue
    private let buffers: ReceiveBuffers
    private let isHead: Bool
    private struct State {
        /// The request until it is sent: a window's list of ids is megabytes, not to be
        /// kept for as long as its chunks arrive.
        var unsent: SocketResponse.Request?
        var socket: BlockingSocket?
        var cancelled = false
    }
    private let state: Mutex<State>

    /// Starts the thread that connects, sends `request` and reads the answer, up to
    /// `readAhead` bytes ahead of the reader. Each wait is bounded by `timeout`.
    init(_ request: Request, buffers: ReceiveBuffers, timeout: Duration, readAhead: Int) {
        queue = ReadAheadQueue(limit: readAhead)
        self.buffers = buffers
        isHead = request.isHead
        state = Mutex(State(unsent: request))
        let thread = Thread { [self] in run(timeout: timeout) }
        thread.name = "followup-http"
        thread.start()
    }

    /// Stops the thread (its socket is shut down, a paused reading resumed) and fails
    /// whoever waits.
    func cancel() {
        let socket = state.withLock { state in
            state.cancelled = true
            return state.socket
        }
        socket?.shutdown()
        queue.finish(.failure(CancellationError()))
    }

    // MARK: The thread

    private func run(timeout: Duration) {
        // Closed once the thread is done with it (cancelling needs it only until then).
        defer { state.withLock { $0.socket = nil } }
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
            queue.finish(.failure(error))
        }
    }

    /// Connects and sends the request, which is then let go; nil if cancelled meanwhile.
    private func send(timeout: Duration) throws -> BlockingSocket? {
        guard let request = state.withLock({ $0.unsent.take() }) else { return nil }
        let socket = try BlockingSocket.connect(host: request.host, port: request.port, timeout: timeout)
        let proceed = state.withLock { state in
            state.socket = socket
            return !state.cancelled
        }
        guard proceed else { return nil }
        try request.head.withUnsafeBytes { try socket.send($0) }
        try request.body?.withUnsafeReadableBytes { try socket.send($0) }
        return socket
    }

    /// Puts the parts in the queue, then waits while it is full. False once cancelled.
    private func deliver(_ parts: [HTTP1ResponseDecoder.Part]) -> Bool {
        let resumed = DispatchSemaphore(value: 0)
        var pauses = 0
        for part in parts {
            switch part {
            case let .head(status, headers):
                queue.receive(head: HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))
            case .body(let piece):
                queue.receive(piece) {
                    pauses += 1
                    return { resumed.signal() }
                }
            case .end:
                queue.finish(.success(()))
            }
        }
        // Each pause is resumed exactly once (perhaps already).
        for _ in 0..<pauses { resumed.wait() }
        return !state.withLock { $0.cancelled }
    }
}

/// The buffers ``SocketResponse``s read into, used again once their reader has let go of
/// every piece of them: a fresh buffer is memory faulted in page by page (40 ms of the
/// benchmarks' pull). Each is 256 KiB, allocated by the thread that asks for one and freed
/// by whichever lets go of its last piece; at most ``kept`` wait to be used again.
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
