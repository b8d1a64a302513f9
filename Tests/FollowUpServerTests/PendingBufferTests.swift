import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import FollowUpServer

/// A connection that keeps the buffers it is given, as NIO's pending writes do until the
/// socket takes them: from the sixth write on (the six buffers of a `PendingBuffer` all
/// out), each write lets go of the buffer given four writes before it (the third, then the
/// fourth), never of the two before.
private final class HoldingConnection: @unchecked Sendable {
    var held: [ByteBuffer?] = []
    /// What each write carried, and where its memory was.
    var written: [(bytes: [UInt8], address: UInt)] = []
}

private struct HoldingWriter: ResponseBodyWriter {
    let connection: HoldingConnection

    mutating func write(_ buffer: ByteBuffer) async throws {
        let address = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        connection.written.append((Array(buffer.readableBytesView), address))
        connection.held.append(buffer)
        if connection.held.count >= 6 { connection.held[connection.held.count - 4] = nil }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

@Suite("PendingBuffer")
struct PendingBufferTests {
    @Test("a buffer the connection still holds is never refilled; one it let go of is, in place")
    func refillsOnlyReleasedBuffers() async throws {
        let connection = HoldingConnection()
        var writer: any ResponseBodyWriter = HoldingWriter(connection: connection)
        let pending = PendingBuffer(capacity: 4096)
        var sent: [[UInt8]] = []
        for round in 0..<7 {
            let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: round &* 31 &+ $0) }
            sent.append(bytes)
            pending.append(bytes)
            try await pending.send(to: &writer, atLeast: 1)
        }

        #expect(connection.written.map(\.bytes) == sent)
        // The seventh write reuses the memory of the third, the only one let go of; before,
        // the buffer whose turn it was got copied into a fresh allocation while still held.
        #expect(connection.written[6].address == connection.written[2].address)
        #expect(Set(connection.written.map(\.address)).count == 6)
        // Nothing still held was written over.
        for (index, buffer) in connection.held.enumerated() {
            guard let buffer else { continue }
            #expect(Array(buffer.readableBytesView) == sent[index])
        }
    }
}
