import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// A response whose body the connection reads ahead of its reader, up to
/// ``readAheadBytes``: the chunk fetch and the export.
///
/// AsyncHTTPClient's own body sequence asks the event loop for the next piece only once
/// the reader has taken the last one, so the socket is idle while the reader works and the
/// reader waits while the event loop reads. Over a loopback pull that round trip came
/// 8,000 times (pieces of 64 KiB) and was half of the writer's time. Here the event loop
/// keeps reading into a queue, and is held back only when the queue is full. From an
/// `http` server the response comes instead through a socket and a thread of its own
/// (``SocketResponse``), into the same kind of queue.
public struct StreamedResponse: Sendable {
    /// Bytes queued before the connection stops reading; it reads again at half. The
    /// kernel's socket buffer holds more: 8 MiB here made the 100,000-file pull peak 6 MB
    /// higher, and no pull faster.
    public static let readAheadBytes = 2 << 20

    public let status: Int
    public let headers: HTTPHeaders
    public let body: Body

    /// Sends `request` and waits for the response's head, for `headTimeout` at most: the
    /// `deadline` covers the whole transfer (a day for an export), and a server that is
    /// down must not keep the caller waiting that long.
    static func start(
        _ request: HTTPClient.Request, on http: HTTPClient, deadline: NIODeadline, headTimeout: Duration = .seconds(30),
        readAhead: Int = readAheadBytes
    ) async throws -> StreamedResponse {
        try await send(request, on: http, deadline: deadline, headTimeout: headTimeout, readAhead: readAhead).response()
    }

    /// Sends `request` without waiting for its answer, which the connection (on `eventLoop`,
    /// by default any of the client's) starts reading ahead at once; ``Sent/response()``
    /// waits for its head (counted from now for `headTimeout`). Dropped unanswered, the
    /// request is cancelled.
    static func send(
        _ request: HTTPClient.Request, on http: HTTPClient, eventLoop: (any EventLoop)? = nil, deadline: NIODeadline,
        headTimeout: Duration = .seconds(30), readAhead: Int = readAheadBytes
    ) -> Sent {
        let queue = ReadAheadQueue(limit: readAhead)
        let task = http.execute(
            request: request, delegate: queue, eventLoop: .delegateAndChannel(on: eventLoop ?? http.eventLoopGroup.any()),
            deadline: deadline)
        let timer = task.eventLoop.scheduleTask(in: TimeAmount(headTimeout)) {
            if queue.failHead(HTTPClientError.deadlineExceeded) { task.cancel() }
        }
        return Sent(reader: Reader(queue: queue, cancel: { task.cancel() }), timer: timer)
    }

    /// Sends `request` over a connection of its own, read by a thread of its own (see
    /// ``SocketResponse``); each wait for the server is bounded by `timeout`.
    static func send(
        _ request: SocketResponse.Request, buffers: ReceiveBuffers, timeout: Duration, readAhead: Int = readAheadBytes
    ) -> Sent {
        let response = SocketResponse(request, buffers: buffers, timeout: timeout, readAhead: readAhead)
        return Sent(reader: Reader(queue: response.queue, cancel: { response.cancel() }), timer: nil)
    }

    /// A request on its way, its response not yet looked at.
    struct Sent: Sendable {
        let reader: Reader
        fileprivate let timer: Scheduled<Void>?

        /// Its head, once it came; from then on the connection reads up to `readAhead` ahead
        /// (a request sent early can be given less until it is needed).
        func response(readAhead: Int? = nil) async throws -> StreamedResponse {
            defer { timer?.cancel() }
            if let readAhead { reader.queue.raiseLimit(to: readAhead) }
            let head = try await withTaskCancellationHandler {
                try await reader.queue.head()
            } onCancel: { [reader] in
                reader.cancel()
            }
            return StreamedResponse(status: Int(head.status.code), headers: head.headers, body: Body(reader: reader))
        }
    }

    /// The body's pieces as they were read. Dropping the body before its end cancels the request.
    public struct Body: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer
        let reader: Reader

        public func makeAsyncIterator() -> Iterator { Iterator(reader: reader) }

        public struct Iterator: AsyncIteratorProtocol {
            let reader: Reader

            public mutating func next() async throws -> ByteBuffer? { try await reader.next() }
        }

        /// The whole body, refused past `limit` bytes.
        public func collect(upTo limit: Int) async throws -> ByteBuffer {
            var all = ByteBuffer()
            while var piece = try await reader.next() {
                guard all.readableBytes + piece.readableBytes <= limit else { throw RemoteError.badResponse("the body is over \(limit) bytes") }
                all.writeBuffer(&piece)
            }
            return all
        }
    }

    /// Owns the request: the last reference going away before the body's end cancels it,
    /// so a reader that gives up does not leave a paused connection behind.
    final class Reader: Sendable {
        let queue: ReadAheadQueue
        /// Abandons the request (its connection stops; whoever waits fails).
        let cancel: @Sendable () -> Void

        init(queue: ReadAheadQueue, cancel: @escaping @Sendable () -> Void) {
            self.queue = queue
            self.cancel = cancel
        }

        func next() async throws -> ByteBuffer? {
            if let taken = queue.take() { return try taken.get() }
            return try await withTaskCancellationHandler {
                try await queue.wait()
            } onCancel: { [cancel] in
                cancel()
            }
        }

        deinit {
            if !queue.ended { cancel() }
        }
    }
}

/// The queue behind ``StreamedResponse``: the connection puts the head and the body's
/// pieces in (AsyncHTTPClient's event loop, as the request's delegate, or a
/// ``SocketResponse``'s thread), the reader takes them from any thread, and the
/// connection's reading pauses while the queue is full.
final class ReadAheadQueue: HTTPClientResponseDelegate {
    typealias Response = Void

    private struct State {
        var head: Result<HTTPResponseHead, any Error>?
        var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
        var pieces = CircularBuffer<ByteBuffer>()
        var queued = 0
        /// Set once: the body ended, or the request failed.
        var end: Result<Void, any Error>?
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        /// Resumes the connection's reading, paused while the queue is full.
        var paused: (@Sendable () -> Void)?
        /// Bytes queued before the connection stops reading; it reads again at half.
        var limit: Int
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(limit: limit))
    }

    /// Lets the connection read further ahead, from now on.
    func raiseLimit(to limit: Int) {
        let resume: (@Sendable () -> Void)? = state.withLock { state in
            guard limit > state.limit else { return nil }
            state.limit = limit
            guard state.queued < limit else { return nil }
            defer { state.paused = nil }
            return state.paused
        }
        resume?()
    }

    var ended: Bool { state.withLock { $0.end != nil } }

    /// Bytes read and not yet taken, and whether the connection waits for them to be.
    var backlog: (bytes: Int, paused: Bool) { state.withLock { ($0.queued, $0.paused != nil) } }

    // MARK: The reader's side

    func head() async throws -> HTTPResponseHead {
        try await withCheckedThrowingContinuation { continuation in
            let head = state.withLock { state in
                if state.head == nil { state.headWaiter = continuation }
                return state.head
            }
            if let head { continuation.resume(with: head) }
        }
    }

    /// Fails a reader still waiting for the head; false once the head has come.
    func failHead(_ error: any Error) -> Bool {
        let waiter: CheckedContinuation<HTTPResponseHead, any Error>?? = state.withLock { state in
            guard state.head == nil else { return .none }
            state.head = .failure(error)
            defer { state.headWaiter = nil }
            return .some(state.headWaiter)
        }
        guard let waiter else { return false }
        waiter?.resume(throwing: error)
        return true
    }

    /// The next piece, or the end (`nil` result), if either is there; `nil` if the reader must wait.
    func take() -> Result<ByteBuffer?, any Error>? {
        let (taken, resume) = state.withLock { Self.take(from: &$0) }
        resume?()
        return taken
    }

    func wait() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            let (taken, resume) = state.withLock { state in
                let next = Self.take(from: &state)
                if next.taken == nil { state.waiter = continuation }
                return next
            }
            resume?()
            if let taken { continuation.resume(with: taken) }
        }
    }

    /// Under the lock: the next piece or the end, if either is there, and the paused read to
    /// resume once the queue is down to half.
    private static func take(from state: inout State) -> (taken: Result<ByteBuffer?, any Error>?, resume: (@Sendable () -> Void)?) {
        guard let piece = state.pieces.popFirst() else { return (state.end.map { $0.map { nil } }, nil) }
        state.queued -= piece.readableBytes
        var resume: (@Sendable () -> Void)?
        if state.queued <= state.limit / 2 { swap(&resume, &state.paused) }
        return (.success(piece), resume)
    }

    // MARK: The connection's side

    func receive(head: HTTPResponseHead) {
        let waiter = state.withLock { state in
            state.head = .success(head)
            defer { state.headWaiter = nil }
            return state.headWaiter
        }
        waiter?.resume(returning: head)
    }

    /// Hands `piece` to a waiting reader, or queues it. If that fills the queue (and the
    /// reading is not paused already), `pause` is called, under the lock: it returns what
    /// resumes the reading, called once, when the reader has taken the queue down to half
    /// (or sooner: a raised limit, the end).
    func receive(_ piece: ByteBuffer, pause: () -> @Sendable () -> Void) {
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pieces.append(piece)
            state.queued += piece.readableBytes
            if state.queued >= state.limit && state.paused == nil { state.paused = pause() }
            return nil
        }
        waiter?.resume(returning: piece)
    }

    /// The body ended, or the request failed: whoever waits is answered, a paused reading resumed.
    func finish(_ end: Result<Void, any Error>) {
        let (headWaiter, waiter, paused) = state.withLock { state in
            if state.end == nil { state.end = end }
            if state.head == nil, case .failure(let error) = end { state.head = .failure(error) }
            defer { (state.headWaiter, state.waiter, state.paused) = (nil, nil, nil) }
            return (state.headWaiter, state.waiter, state.paused)
        }
        if let headWaiter, case .failure(let error) = end { headWaiter.resume(throwing: error) }
        waiter?.resume(with: end.map { nil })
        paused?()
    }

    // MARK: AsyncHTTPClient's event loop

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        receive(head: head)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        var paused: EventLoopPromise<Void>?
        receive(buffer) {
            let promise = task.eventLoop.makePromise(of: Void.self)
            paused = promise
            return { promise.succeed() }
        }
        return paused?.futureResult ?? task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
        finish(.failure(error))
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        finish(.success(()))
    }
}
