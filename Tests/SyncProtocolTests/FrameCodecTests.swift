import SyncProtocol
import Testing

@Suite("Framed chunk stream")
struct FrameCodecTests {
    /// Frames of varied sizes, including empty ones, with distinct ids.
    static func sampleFrames(count: Int, using generator: inout SeededGenerator) -> [ChunkFrame] {
        (0..<count).map { index in
            var id = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            id[0] = UInt8(index)
            let length = index % 5 == 0 ? 0 : Int.random(in: 1...3000, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return ChunkFrame(id: ChunkDigest(bytes: id)!, bytes: bytes)
        }
    }

    static func encodeStream(_ frames: [ChunkFrame]) throws -> [UInt8] {
        var stream = [UInt8]()
        for frame in frames {
            try FrameEncoder.append(id: frame.id, bytes: frame.bytes, to: &stream)
        }
        return stream
    }

    /// Feeds `stream` in pieces of the given sizes (the last piece takes the rest),
    /// draining frames after each piece, then finishes.
    static func decode(_ stream: [UInt8], pieces: some Sequence<Int>, decoder: FrameDecoder = FrameDecoder()) throws -> [ChunkFrame] {
        var decoder = decoder
        var frames = [ChunkFrame]()
        var offset = 0
        var sizes = pieces.makeIterator()
        while offset < stream.count {
            let size = min(sizes.next() ?? stream.count, stream.count - offset)
            decoder.append(stream[offset..<offset + size])
            offset += size
            while let frame = try decoder.next() { frames.append(frame) }
        }
        try decoder.finish()
        return frames
    }

    @Test("a frame is the 32-byte id, a big-endian u32 length, then the bytes")
    func layout() throws {
        let id = ChunkDigest(bytes: Array(0..<32))!
        let frame = try FrameEncoder.encode(id: id, bytes: [0xAA, 0xBB, 0xCC])
        #expect(frame == Array(0..<32) + [0, 0, 0, 3, 0xAA, 0xBB, 0xCC])
        #expect(try FrameEncoder.header(id: id, length: 0x0102_0304) == Array(0..<32) + [1, 2, 3, 4])
    }

    @Test("many frames fed one byte at a time come back identical")
    func oneByteAtATime() throws {
        var generator = SeededGenerator(seed: 1)
        let frames = Self.sampleFrames(count: 40, using: &generator)
        let stream = try Self.encodeStream(frames)
        #expect(try Self.decode(stream, pieces: repeatElement(1, count: stream.count)) == frames)
    }

    @Test("many frames fed in random splits come back identical", arguments: 1...20 as ClosedRange<UInt64>)
    func randomSplits(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let frames = Self.sampleFrames(count: 30, using: &generator)
        let stream = try Self.encodeStream(frames)
        let sizes = (0..<stream.count).map { _ in Int.random(in: 0...5000, using: &generator) }
        #expect(try Self.decode(stream, pieces: sizes) == frames)
    }

    @Test("the whole stream appended at once decodes too")
    func singlePiece() throws {
        var generator = SeededGenerator(seed: 99)
        let frames = Self.sampleFrames(count: 10, using: &generator)
        #expect(try Self.decode(Self.encodeStream(frames), pieces: []) == frames)
    }

    @Test("an empty chunk body is a valid frame")
    func emptyBody() throws {
        let id = ChunkDigest(bytes: [UInt8](repeating: 7, count: 32))!
        let stream = try FrameEncoder.encode(id: id, bytes: [])
        #expect(stream.count == ChunkFrame.headerSize)
        #expect(try Self.decode(stream, pieces: []) == [ChunkFrame(id: id, bytes: [])])
    }

    @Test("an empty stream holds no frames and is complete")
    func emptyStream() throws {
        var decoder = FrameDecoder()
        #expect(try decoder.next() == nil)
        try decoder.finish()
    }

    @Test("a length over the limit is refused from the header alone")
    func overLongLength() throws {
        var decoder = FrameDecoder(maxFrameLength: 1024)
        let header = try FrameEncoder.header(id: ChunkDigest(bytes: [UInt8](repeating: 1, count: 32))!, length: 1025)
        decoder.append(header)  // no body bytes at all: refused before any are buffered
        #expect(throws: FrameError.frameTooLong(length: 1025, limit: 1024)) { try decoder.next() }
        // The framing is lost: the error sticks.
        decoder.append([UInt8](repeating: 0, count: 2000))
        #expect(throws: FrameError.frameTooLong(length: 1025, limit: 1024)) { try decoder.next() }
        #expect(throws: FrameError.frameTooLong(length: 1025, limit: 1024)) { try decoder.finish() }
    }

    @Test("frames before a refused header come out first, then the error, for good")
    func framesBeforeAnError() throws {
        let id = ChunkDigest(bytes: [UInt8](repeating: 4, count: 32))!
        var decoder = FrameDecoder(maxFrameLength: 8)
        let good = try FrameEncoder.encode(id: id, bytes: [1, 2, 3])
        decoder.append(good + good + (try FrameEncoder.header(id: id, length: 9)) + [UInt8](repeating: 0, count: 9) + good)
        #expect(try decoder.next() == ChunkFrame(id: id, bytes: [1, 2, 3]))
        #expect(try decoder.next() == ChunkFrame(id: id, bytes: [1, 2, 3]))
        #expect(throws: FrameError.frameTooLong(length: 9, limit: 8)) { try decoder.next() }
        decoder.append(good)
        #expect(throws: FrameError.frameTooLong(length: 9, limit: 8)) { try decoder.next() }
    }

    @Test("the default limit is 16 MiB; a length of 2 GiB − 1 is refused")
    func defaultLimit() throws {
        var decoder = FrameDecoder()
        #expect(decoder.maxFrameLength == 16 << 20)
        decoder.append([UInt8](repeating: 0, count: 32) + [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError.frameTooLong(length: 0x7FFF_FFFF, limit: 16 << 20)) { try decoder.next() }
    }

    @Test("a frame marked compressed is refused unless compression was negotiated")
    func compressedFlag() throws {
        var strict = FrameDecoder()
        strict.append([UInt8](repeating: 0, count: 32) + [0x80, 0, 0, 4, 1, 2, 3, 4])
        #expect(throws: FrameError.unexpectedCompression) { try strict.next() }

        let id = ChunkDigest(bytes: [UInt8](repeating: 5, count: 32))!
        var decoder = FrameDecoder(allowsCompression: true)
        decoder.append(try FrameEncoder.header(id: id, length: 3, compressed: true) + [7, 8, 9])
        decoder.append(try FrameEncoder.encode(id: id, bytes: [1]))
        #expect(try decoder.next() == ChunkFrame(id: id, bytes: [7, 8, 9], compressed: true))
        #expect(try decoder.next() == ChunkFrame(id: id, bytes: [1]))
    }

    @Test("compressible chunks deflate and inflate back; media-like noise is sent as is")
    func compression() throws {
        let text = Array(String(repeating: "Follow Up keeps every deliverable. ", count: 2000).utf8)
        let deflated = try #require(ChunkCompression.compress(text))
        #expect(deflated.count < text.count / 4)
        #expect(try ChunkCompression.decompress(deflated, length: text.count) == text)
        #expect(throws: FrameError.badCompression) { try ChunkCompression.decompress(deflated, length: text.count - 1) }
        #expect(throws: FrameError.badCompression) { try ChunkCompression.decompress([1, 2, 3], length: 10) }
        // In place, into a buffer that must be filled exactly.
        for length in [text.count - 1, text.count, text.count + 1] {
            var target = [UInt8](repeating: 0, count: length)
            let inflated = target.withUnsafeMutableBytes { target in
                deflated.withUnsafeBytes { source in Result { () throws(FrameError) in try ChunkCompression.decompress(source, into: target) } }
            }
            if length == text.count {
                #expect((try? inflated.get()) != nil && target == text)
            } else {
                #expect(throws: FrameError.badCompression) { try inflated.get() }
            }
        }

        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let noise = (0..<65536).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        #expect(ChunkCompression.compress(noise) == nil)
        #expect(ChunkCompression.compress([1, 2, 3]) == nil)
    }

    @Test("a frame at exactly the limit is accepted")
    func exactlyAtLimit() throws {
        let id = ChunkDigest(bytes: [UInt8](repeating: 2, count: 32))!
        let frame = ChunkFrame(id: id, bytes: [UInt8](repeating: 9, count: 64))
        let stream = try FrameEncoder.encode(id: id, bytes: frame.bytes)
        #expect(try Self.decode(stream, pieces: [10], decoder: FrameDecoder(maxFrameLength: 64)) == [frame])
    }

    @Test("a stream cut inside a header or a body is reported as truncated", arguments: [1, 35, 36, 37, 99])
    func truncated(cutAt: Int) throws {
        let id = ChunkDigest(bytes: [UInt8](repeating: 3, count: 32))!
        let whole = try FrameEncoder.encode(id: id, bytes: [UInt8](repeating: 5, count: 64))
        var decoder = FrameDecoder()
        decoder.append(whole + whole[..<cutAt])
        #expect(try decoder.next() == ChunkFrame(id: id, bytes: [UInt8](repeating: 5, count: 64)))
        #expect(try decoder.next() == nil)
        #expect(throws: FrameError.truncated(bufferedBytes: cutAt)) { try decoder.finish() }
    }

    @Test("chunk ids print and parse as 64 lowercase hex digits")
    func digestHex() throws {
        let bytes: [UInt8] = Array(0xE0...0xFF)
        let id = try #require(ChunkDigest(bytes: bytes))
        #expect(id.hex == "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
        #expect(ChunkDigest(hex: id.hex.uppercased()) == id)
        #expect(id.bytes == bytes)
        #expect(ChunkDigest(hex: "e0") == nil)
        #expect(ChunkDigest(hex: String(repeating: "g", count: 64)) == nil)
        #expect(ChunkDigest(bytes: [1, 2, 3]) == nil)
    }

    @Test("chunk ids order by their bytes")
    func digestOrder() throws {
        let low = try #require(ChunkDigest(bytes: [UInt8](repeating: 0, count: 31) + [1]))
        let high = try #require(ChunkDigest(bytes: [1] + [UInt8](repeating: 0, count: 31)))
        #expect(low < high)
    }
}
