import Synchronization

/// The chunks a push must upload, handed from its hashing to its upload requests group by
/// group: the first chunks go out while later files are still being read, so the disk
/// and the server's cores work during the hashing instead of after it.
///
/// Several requests take items at once; each waits while the queue is empty and not yet
/// finished. The producer must call `finish()` on every path, failure included.
final class UploadQueue: Sendable {
    private struct State {
        var items: [UploadFrames.Item] = []
        var head = 0
        var finished = false
        var waiting: [UnsafeContinuation<UploadFrames.Item?, Never>] = []
    }

    private let state = Mutex(State())

    /// Queues `new`, handing items straight to requests that wait.
    func add(_ new: [UploadFrames.Item]) {
        guard !new.isEmpty else { return }
        let handed = state.withLock { state in
            if state.head >= 4096 && state.head * 2 >= state.items.count {
                state.items.removeFirst(state.head)
                state.head = 0
            }
            state.items += new
            var handed: [(UnsafeContinuation<UploadFrames.Item?, Never>, UploadFrames.Item)] = []
            while !state.waiting.isEmpty && state.head < state.items.count {
                handed.append((state.waiting.removeFirst(), state.items[state.head]))
                state.head += 1
            }
            return handed
        }
        for (request, item) in handed { request.resume(returning: item) }
    }

    /// No more items: requests waiting for one get nil.
    func finish() {
        let waiting = state.withLock { state in
            state.finished = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for request in waiting { request.resume(returning: nil) }
    }

    /// The next item, once there is one; nil when the queue is finished and empty.
    func next() async -> UploadFrames.Item? {
        await withUnsafeContinuation { request in
            let now: UploadFrames.Item?? = state.withLock { state in
                if state.head < state.items.count {
                    defer { state.head += 1 }
                    return .some(state.items[state.head])
                }
                if state.finished { return .some(nil) }
                state.waiting.append(request)
                return nil
            }
            if let now { request.resume(returning: now) }
        }
    }

    /// The next item if one is queued now.
    func poll() -> UploadFrames.Item? {
        state.withLock { state in
            guard state.head < state.items.count else { return nil }
            defer { state.head += 1 }
            return state.items[state.head]
        }
    }
}

/// The items one streamed upload request took from an ``UploadQueue``: what to ask about
/// again if the connection breaks.
final class SentItems: Sendable {
    private let items = Mutex<[UploadFrames.Item]>([])

    func append(_ item: UploadFrames.Item) { items.withLock { $0.append(item) } }

    var all: [UploadFrames.Item] { items.withLock { $0 } }
}
