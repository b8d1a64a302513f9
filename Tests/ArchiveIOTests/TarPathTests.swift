import ArchiveIO
import Testing

@Suite("Tar path validation")
struct TarPathTests {
    @Test("safe paths are accepted and normalised", arguments: [
        ("a", "a"), ("a/b/c.txt", "a/b/c.txt"), ("dir/", "dir"), ("./a/./b", "a/b"),
        ("caffè ☕/ü.pdf", "caffè ☕/ü.pdf"), ("..a/b..", "..a/b.."), (".hidden", ".hidden"),
    ])
    func accepted(raw: String, normalised: String) throws {
        #expect(try TarPath.validate(raw).string == normalised)
    }

    @Test("unsafe paths are refused with the rule they break", arguments: [
        ("", TarPath.Violation.empty), (".", .empty), ("./", .empty),
        ("/etc/passwd", .absolute), ("/", .absolute),
        ("..", .parentComponent), ("../evil", .parentComponent), ("a/../../b", .parentComponent), ("a/..", .parentComponent),
        ("a//b", .emptyComponent), ("a/b//", .emptyComponent),
        ("a\u{0}b", .nulByte),
    ])
    func refused(raw: String, violation: TarPath.Violation) {
        #expect(throws: violation) { try TarPath.validate(raw) }
    }

    @Test("length is bounded in UTF-8 bytes, per path and per component")
    func lengths() throws {
        let longest = (0..<16).map { _ in String(repeating: "x", count: 255) }.joined(separator: "/")  // 4095 bytes
        #expect(try TarPath.validate(longest).components.count == 16)
        #expect(throws: TarPath.Violation.tooLong(bytes: 4097)) { try TarPath.validate(longest + "/y") }
        #expect(throws: TarPath.Violation.componentTooLong(bytes: 256)) {
            try TarPath.validate("a/" + String(repeating: "é", count: 128))
        }
    }
}
