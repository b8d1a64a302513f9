import Testing
@testable import ContentStore

@Suite("SHA-256 through libcrypto")
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
    }

    @Test("one million 'a', streamed in uneven pieces")
    func millionA() {
        let hasher = SHA256()
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
