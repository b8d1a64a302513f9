import NIOCore
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("Frame slicer: frames out of a response's pieces")
struct FrameSlicerTests {
    /// Frames of 0 to a few thousand bytes, each body a pattern of its index.
    static func frames(_ lengths: [Int]) -> [(id: ChunkDigest, bytes: [UInt8])] {
        lengths.enumerated().map { index, length in
            (ChunkDigest(bytes: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })!, (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        }
    }

    static func stream(_ frames: [(id: ChunkDigest, bytes: [UInt8])]) throws -> [UInt8] {
        var stream: [UInt8] = []
        for frame in frames { try FrameEncoder.append(id: frame.id, bytes: frame.bytes, to: &stream) }
        return stream
    }

    /// Appends `stream` cut at `cuts`, taking frames after each piece, then finishes.
    static func slice(_ stream: [UInt8], cuts: [Int], slicer: FrameSlicer = FrameSlicer()) throws -> [FrameSlicer.Frame] {
        var slicer = slicer
        var frames: [FrameSlicer.Frame] = []
        var start = 0
        for end in cuts + [stream.count] where end >= start {
            slicer.append(ByteBuffer(bytes: stream[start..<end]))
            start = end
            while let frame = try slicer.next() { frames.append(frame) }
        }
        try slicer.finish()
        return frames
    }

    @Test("every frame comes out whole wherever the stream is cut, once or at every byte")
    func everyCut() throws {
        let frames = Self.frames([0, 1, 40, 300, 0, 77])
        let stream = try Self.stream(frames)
        var cuts: [[Int]] = (0...stream.count).map { [$0] }
        cuts.append(Array(1..<stream.count))
        for cut in cuts {
            let out = try Self.slice(stream, cuts: cut)
            #expect(out.map(\.id) == frames.map(\.id), "cut at \(cut.prefix(3))")
            #expect(out.map { Array($0.bytes.readableBytesView) } == frames.map(\.bytes), "cut at \(cut.prefix(3))")
        }
    }

    @Test("a frame within one piece is a slice of it, not a copy")
    func slices() throws {
        let frames = Self.frames([1000, 2000])
        let piece = ByteBuffer(bytes: try Self.stream(frames))
        var slicer = FrameSlicer()
        slicer.append(piece)
        let first = try #require(try slicer.next())
        let second = try #require(try slicer.next())
        #expect(try slicer.next() == nil)
        try slicer.finish()
        for frame in [first, second] {
            let shared = frame.bytes.withUnsafeReadableBytes { inner in
                piece.withUnsafeReadableBytes { outer in
                    inner.baseAddress! >= outer.baseAddress! && inner.baseAddress! + inner.count <= outer.baseAddress! + outer.count
                }
            }
            #expect(shared)
        }
    }

    @Test("pieces added before the frames of the last were taken still come out in order")
    func appendedAhead() throws {
        let frames = Self.frames([10, 20, 30])
        let stream = try Self.stream(frames)
        var slicer = FrameSlicer()
        slicer.append(ByteBuffer(bytes: stream[..<50]))
        slicer.append(ByteBuffer(bytes: stream[50...]))
        var out: [[UInt8]] = []
        while let frame = try slicer.next() { out.append(Array(frame.bytes.readableBytesView)) }
        try slicer.finish()
        #expect(out == frames.map(\.bytes))
    }

    @Test("a stream that ends inside a header or a body is truncated; nothing buffered is lost from the count")
    func truncated() throws {
        let stream = try Self.stream(Self.frames([100]))
        for end in [1, ChunkFrame.headerSize - 1, ChunkFrame.headerSize, ChunkFrame.headerSize + 50, stream.count - 1] {
            #expect(throws: FrameError.truncated(bufferedBytes: end)) { _ = try Self.slice(Array(stream[..<end]), cuts: [end / 2]) }
        }
    }

    @Test("a length over the limit or an unasked-for compressed frame is refused from the header alone")
    func refused() throws {
        let long = try Self.stream(Self.frames([64]))
        #expect(throws: FrameError.frameTooLong(length: 64, limit: 63)) {
            _ = try Self.slice(Array(long[..<ChunkFrame.headerSize]), cuts: [], slicer: FrameSlicer(maxFrameLength: 63))
        }
        let compressed = try FrameEncoder.header(id: Self.frames([1])[0].id, length: 3, compressed: true) + [1, 2, 3]
        #expect(throws: FrameError.unexpectedCompression) { _ = try Self.slice(compressed, cuts: [5]) }
        let allowed = try Self.slice(compressed, cuts: [5], slicer: FrameSlicer(allowsCompression: true))
        #expect(allowed.map(\.compressed) == [true])
    }
}
