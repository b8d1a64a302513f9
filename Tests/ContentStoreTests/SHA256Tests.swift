import Foundation
import Testing
@testable import ContentStore

@Suite("SHA-256, with the SHA instructions and through libcrypto")
struct SHA256Tests {
    // FIPS 180-2 / NIST CAVP test vectors.
    @Test("NIST vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hash(message).hex == digest)
        for engine in SHA256.Engine.available {
            #expect(Array(message.utf8).withUnsafeBytes { SHA256.hash($0, engine: engine) }.hex == digest)
            let hasher = SHA256(engine: engine)
            hasher.update(Array(message.utf8))
            #expect(hasher.finalize().hex == digest)
        }
    }

    @Test("the SHA instructions and libcrypto agree on every length to 300 bytes and on uneven pieces")
    func enginesAgree() {
        let data = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        for engine in SHA256.Engine.available {
            for length in 0...300 {
                let message = Array(data[7..<(7 + length)])
                #expect(message.withUnsafeBytes { SHA256.hash($0, engine: engine) }
                    == message.withUnsafeBytes { SHA256.hash($0, engine: .openSSL) })
            }
            // Uneven pieces; a copy taken partway (mid-block) goes on with the rest at once.
            let hasher = SHA256(engine: engine), copy = SHA256(engine: engine)
            var offset = 0, piece = 1, copied = false
            while offset < data.count {
                let end = min(data.count, offset + piece)
                hasher.update(Array(data[offset..<end]))
                offset = end
                piece = piece * 2 + 1
                if offset > 1_000, !copied {
                    copy.copyState(from: hasher)
                    copy.update(Array(data[offset...]))
                    copied = true
                }
            }
            #expect(hasher.finalize() == SHA256.hash(data))
            #expect(copy.finalize() == SHA256.hash(data))
        }
    }

    @Test("two messages hashed at once get the digests of each alone")
    func pairs() {
        let data = (0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 40_503 >> 3) }
        let lengths = [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1_000, 4_999]
        for engine in SHA256.Engine.available {
            for a in lengths {
                for b in lengths {
                    let first = Array(data[..<a]), second = Array(data[(5_000 - b)...])
                    let (x, y) = first.withUnsafeBytes { p in second.withUnsafeBytes { q in SHA256.hash(p, q, engine: engine) } }
                    #expect(x == first.withUnsafeBytes { SHA256.hash($0, engine: .openSSL) })
                    #expect(y == second.withUnsafeBytes { SHA256.hash($0, engine: .openSSL) })
                }
            }
        }
    }

    @Test("one million 'a', streamed in uneven pieces", arguments: SHA256.Engine.available)
    func millionA(engine: SHA256.Engine) {
        let hasher = SHA256(engine: engine)
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            left -= n
            piece = piece * 3 + 1
        }
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a chunk id survives hex and byte round trips; bad hex is refused")
    func chunkIDRoundTrip() {
        let id = SHA256.hash("abc")
        #expect(ChunkID(hex: id.hex) == id)
        #expect(ChunkID(hex: id.hex.uppercased()) == id)
        #expect(ChunkID(bytes: id.bytes) == id)
        #expect(ChunkID(hex: "xyz") == nil)
        #expect(ChunkID(hex: String(repeating: "g", count: 64)) == nil)
        #expect(ChunkID(bytes: [1, 2, 3]) == nil)
    }
}
