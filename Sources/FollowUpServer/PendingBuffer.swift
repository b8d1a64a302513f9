import Hummingbird
import NIOCore

/// The response bytes not yet written, for a streamed body (an export's tar, a fetch's
/// chunk frames): a reference, so that a writer's sink can append to it; used by one task
/// at a time.
///
/// Six buffers in turn: the connection still holds the ones just sent, but by the time a
/// buffer's turn comes back it is done with it, so its memory is written again instead of
/// a fresh allocation faulted in page by page (a tenth of an export's time, a third of a
/// fetch's). If the connection does still hold it, `clear()` copies on write into a fresh
/// buffer.
final class PendingBuffer: @unchecked Sendable {
    private var buffers: [ByteBuffer]
    private var current = 0

    /// `capacity` should leave room for the largest append past the send size, so that a
    /// buffer never grows.
    init(capacity: Int) {
        buffers = (0..<6).map { _ in ByteBufferAllocator().buffer(capacity: capacity) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        buffers[current].writeBytes(bytes)
    }

    func append(_ bytes: [UInt8]) {
        buffers[current].writeBytes(bytes)
    }

    /// Sends the bytes so far once there are at least `bytes` of them.
    func send(to writer: inout any ResponseBodyWriter, atLeast bytes: Int) async throws {
        guard buffers[current].readableBytes >= bytes else { return }
        try await writer.write(buffers[current])
        current = (current + 1) % buffers.count
        buffers[current].clear()
    }
}
