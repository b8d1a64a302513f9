/// Waiting for a send buffer the connection has let go of, on both sides of the sync
/// protocol (a push's upload pieces, the server's streamed responses). A buffer is
/// refilled only once no one else holds it, instead of being copied into a fresh
/// allocation faulted in page by page; but a buffer tells whether it is shared, not when
/// it stops being, so the sender looks again after a pause.
public enum ReleasedBuffer {
    /// What `find` gives (the index of a free buffer), calling it again after 0.25 ms while
    /// it gives nil, the pause doubling up to 4 ms: nothing on a fast link, where the
    /// socket takes a buffer in well under a millisecond, and little polling on a slow one.
    public static func wait<Slot>(for find: () throws -> Slot?) async throws -> Slot {
        var pause = 250
        while true {
            if let slot = try find() { return slot }
            try await Task.sleep(for: .microseconds(pause))
            pause = min(pause * 2, 4000)
        }
    }
}
