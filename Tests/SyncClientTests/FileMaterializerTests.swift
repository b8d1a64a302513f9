import Testing
@testable import SyncClient

@Suite("Telling holes from content")
struct FileMaterializerTests {
    @Test("all zeros is a hole, at any length, including the empty chunk")
    func zeros() {
        for length in [0, 1, 7, 63, 64, 65, 4096, 65_537] {
            #expect([UInt8](repeating: 0, count: length).withUnsafeBytes(FileMaterializer.isZero), "length \(length)")
        }
    }

    @Test("one set bit anywhere is content: in the 64-byte blocks and in the tail")
    func oneBit() {
        let length = 64 * 5 + 13
        for position in [0, 1, 63, 64, 200, 64 * 5 - 1, 64 * 5, length - 1] {
            for bit in [0, 7] {
                var bytes = [UInt8](repeating: 0, count: length)
                bytes[position] = 1 << bit
                #expect(!bytes.withUnsafeBytes(FileMaterializer.isZero), "byte \(position), bit \(bit)")
            }
        }
    }
}
