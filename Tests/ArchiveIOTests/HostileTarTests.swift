import ArchiveIO
import Foundation
import Testing

@Suite("Reading hostile tars")
struct HostileTarTests {
    private func refusal(of entries: [ForeignEntry]) throws -> ArchiveError? {
        try withTemporaryDirectory { directory in
            let tar = directory + "/hostile.tar"
            try writeForeignTar(tar, entries)
            return readError(tar)
        }
    }

    @Test("an entry climbing out with '..' is refused")
    func parentEscape() throws {
        #expect(try refusal(of: [ForeignEntry(path: "../evil", data: [1])])
            == .invalidPath(entry: "../evil", violation: .parentComponent))
        #expect(try refusal(of: [ForeignEntry(path: "site/../../evil")])
            == .invalidPath(entry: "site/../../evil", violation: .parentComponent))
    }

    @Test("an absolute path is refused")
    func absolute() throws {
        #expect(try refusal(of: [ForeignEntry(path: "/etc/passwd", data: Array("root::0:0::/:/bin/sh\n".utf8))])
            == .invalidPath(entry: "/etc/passwd", violation: .absolute))
    }

    @Test("an absolute path written by GNU tar -P is refused")
    func absoluteFromGNUTar() throws {
        try withTemporaryDirectory { directory in
            let victim = directory + "/victim.txt"
            try Data("x".utf8).write(to: URL(filePath: victim))
            let tar = directory + "/abs.tar"
            _ = try run("/usr/bin/tar", ["--create", "--absolute-names", "--file", tar, victim])
            #expect(readError(tar) == .invalidPath(entry: victim, violation: .absolute))
        }
    }

    @Test("a symbolic link is refused, whatever it points at")
    func symlink() throws {
        #expect(try refusal(of: [ForeignEntry(path: "site/link", type: 0o120000, symlink: "/etc")])
            == .unsupportedEntry(entry: "site/link", type: .symbolicLink))
        #expect(try refusal(of: [ForeignEntry(path: "inside", type: 0o120000, symlink: "site")])
            == .unsupportedEntry(entry: "inside", type: .symbolicLink))
    }

    @Test("a hard link is refused")
    func hardlink() throws {
        #expect(try refusal(of: [
            ForeignEntry(path: "a", data: [1]),
            ForeignEntry(path: "b", hardlink: "a"),
        ]) == .unsupportedEntry(entry: "b", type: .hardLink))
    }

    @Test("devices and fifos are refused", arguments: [
        (UInt32(0o010000), ArchiveError.RefusedType.fifo),
        (0o020000, .characterDevice),
        (0o060000, .blockDevice),
    ])
    func specialFiles(type: UInt32, refused: ArchiveError.RefusedType) throws {
        #expect(try refusal(of: [ForeignEntry(path: "dev/x", type: type)])
            == .unsupportedEntry(entry: "dev/x", type: refused))
    }

    @Test("entries before a refused one are read; the refused one is never returned")
    func stopsAtRefusal() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/mixed.tar"
            try writeForeignTar(tar, [
                ForeignEntry(path: "good.txt", data: [7]),
                ForeignEntry(path: "../evil", data: [6, 6, 6]),
            ])
            var reader = try TarReader(path: tar)
            #expect(try reader.next()?.path.string == "good.txt")
            #expect(throws: ArchiveError.invalidPath(entry: "../evil", violation: .parentComponent)) { try reader.next() }
            // Nothing of the refused entry can be read.
            var leaked = [UInt8]()
            try reader.readData { leaked.append(contentsOf: $0) }
            #expect(leaked.isEmpty)
        }
    }

    @Test("a GNU tar made with 'tar -C dir .' reads as relative UTF-8 paths, without its './' root")
    func dotRoot() throws {
        try withTemporaryDirectory { directory in
            let tree = directory + "/tree"
            try FileManager.default.createDirectory(atPath: tree + "/docs", withIntermediateDirectories: true)
            try Data("hi".utf8).write(to: URL(filePath: tree + "/docs/a.txt"))
            try Data("ciao".utf8).write(to: URL(filePath: tree + "/docs/caffè ☕.txt"))
            let tar = directory + "/dot.tar"
            _ = try run("/usr/bin/tar", ["--create", "--file", tar, "--directory", tree, "--sort=name", "."])
            let entries = try readAll(tar)
            #expect(entries.map(\.entry.path.string) == ["docs", "docs/a.txt", "docs/caffè ☕.txt"])
            #expect(entries.map(\.data) == [[], Array("hi".utf8), Array("ciao".utf8)])
        }
    }
}
