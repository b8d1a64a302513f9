import Hummingbird
import NIOCore
import SyncProtocol

/// The response bytes not yet written, for a streamed body (an export's tar, a fetch's
/// chunk frames): a reference, so that a writer's sink can append to it; used by one task
/// at a time.
///
/// Six buffers, refilled only once the connection has let go of them: its memory is
/// written again instead of a fresh allocation faulted in page by page (a tenth of an
/// export's time, a third of a fetch's). The connection may still hold a buffer when its
/// turn comes (it keeps what it was given until the socket takes it): clearing it then
/// copied it into a fresh one: 22,000–30,000 page faults in a fetch of the benchmark
/// dataset, 5,750 now.
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
        current = try await freeBuffer()
    }

    /// The index of a buffer the connection no longer holds, cleared; when it holds all six
    /// (3–6 MiB: an export's or a fetch's), after a pause (see ``ReleasedBuffer``).
    private func freeBuffer() async throws -> Int {
        try await ReleasedBuffer.wait {
            buffers.indices.first { buffers[$0].modifyIfUniquelyOwned({ $0.clear() }) != nil }
        }
    }
}
