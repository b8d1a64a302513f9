import Testing

@testable import ContentStore

@Suite("Control characters")
struct ControlCharacterTests {
    @Test("isControl is Unicode's Cc exactly: C0, DEL and C1, nothing else")
    func matchesGeneralCategory() {
        for value in UInt32(0)...0x2FF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(scalar.isControl == (scalar.properties.generalCategory == .control), "U+\(String(value, radix: 16))")
        }
        for scalar: Unicode.Scalar in ["\u{A0}", "\u{200B}", "\u{2028}", "\u{FEFF}", "\u{1F600}"] {
            #expect(!scalar.isControl, "U+\(String(scalar.value, radix: 16))")
        }
    }
}
