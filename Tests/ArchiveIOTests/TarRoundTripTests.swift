import ArchiveIO
import Foundation
import Testing

@Suite("Writing and reading tars")
struct TarRoundTripTests {
    static let mtime: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
    static let unicodeName = "site/preventivo caffè ☕ 2026.txt"
    static let unicodeContents = Array("Grazie! ✓\n".utf8)

    /// 1 MiB of a pattern that repeats only every 251 bytes, so a shifted block would show.
    static let bigContents = (0..<(1 << 20)).map { UInt8($0 % 251) }

    /// A directory, an empty file, a file with a non-ASCII name and a 1 MiB file written
    /// in uneven pieces.
    static func writeSample(_ path: String) throws {
        var writer = try TarWriter(path: path)
        try writer.addDirectory(path: "site", mode: 0o750, mtime: mtime)
        try writer.addFile(path: "site/empty", size: 0, mtime: mtime + 1) { _ in }
        try writer.addFile(path: unicodeName, size: Int64(unicodeContents.count), mode: 0o600, mtime: mtime + 2) {
            try $0.write(unicodeContents)
        }
        try writer.addFile(path: "site/big.bin", size: Int64(bigContents.count), mtime: mtime + 3) { file in
            var offset = 0
            var piece = 1
            while offset < bigContents.count {
                let end = min(offset + piece, bigContents.count)
                try file.write(Array(bigContents[offset..<end]))
                offset = end
                piece = piece * 3 + 7  // 1, 10, 37, … bytes: pieces never line up with tar blocks
            }
        }
        try writer.finish()
    }

    @Test("a directory, an empty file, a unicode name and 1 MiB come back with their bytes and metadata")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/sample.tar"
            try Self.writeSample(tar)
            let entries = try readAll(tar)

            #expect(entries.map(\.entry) == [
                TarEntry(path: try TarPath.validate("site"), kind: .directory, size: 0, mode: 0o750, mtime: Self.mtime),
                TarEntry(path: try TarPath.validate("site/empty"), kind: .regularFile, size: 0, mode: 0o644, mtime: Self.mtime + 1),
                TarEntry(
                    path: try TarPath.validate(Self.unicodeName), kind: .regularFile,
                    size: Int64(Self.unicodeContents.count), mode: 0o600, mtime: Self.mtime + 2),
                TarEntry(
                    path: try TarPath.validate("site/big.bin"), kind: .regularFile,
                    size: 1 << 20, mode: 0o644, mtime: Self.mtime + 3),
            ])
            #expect(entries.map(\.data.count) == [0, 0, Self.unicodeContents.count, 1 << 20])
            #expect(entries[2].data == Self.unicodeContents)
            #expect(entries[3].data == Self.bigContents)
        }
    }

    @Test("GNU tar reads the same names, so exports open with standard tools")
    func readableByGNUTar() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/sample.tar"
            try Self.writeSample(tar)
            let listing = try run("/usr/bin/tar", ["--list", "--file", tar])
            #expect(listing.split(separator: "\n") == ["site/", "site/empty", Substring(Self.unicodeName), "site/big.bin"])
        }
    }

    @Test("data can be pulled block by block into a caller's buffer")
    func pullReads() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/sample.tar"
            try Self.writeSample(tar)
            var reader = try TarReader(path: tar)
            var found = false
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4093, alignment: 1)
            defer { buffer.deallocate() }
            while let entry = try reader.next() {
                guard entry.path.string == "site/big.bin" else { continue }  // others' data is skipped
                var data = [UInt8]()
                while case let count = try reader.read(into: buffer), count > 0 {
                    #expect(count <= 4093)
                    data.append(contentsOf: buffer[..<count])
                }
                #expect(data == Self.bigContents)
                found = true
            }
            #expect(found)
        }
    }

    @Test("writing to and reading from file descriptors")
    func fileDescriptors() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/fd.tar"
            let output = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            try #require(output >= 0)
            var writer = try TarWriter(fileDescriptor: output)
            try writer.addFile(path: "a.txt", size: 3, mtime: Self.mtime) { try $0.write([1, 2, 3]) }
            try writer.finish()
            close(output)

            let input = open(tar, O_RDONLY)
            try #require(input >= 0)
            defer { close(input) }
            var reader = try TarReader(fileDescriptor: input)
            let entry = try #require(try reader.next())
            var data = [UInt8]()
            try reader.readData { data.append(contentsOf: $0) }
            #expect(entry.path.string == "a.txt")
            #expect(data == [1, 2, 3])
            #expect(try reader.next() == nil)
        }
    }

    @Test("a streamed writer hands over every byte of the same tar, piece by piece")
    func streamed() throws {
        try withTemporaryDirectory { directory in
            var streamed: [UInt8] = []
            var pieces = 0
            let output = TarOutput { piece in
                streamed.append(contentsOf: piece)
                pieces += 1
            }
            var writer = try TarWriter(output: output)
            try writer.addDirectory(path: "site", mode: 0o750, mtime: Self.mtime)
            try writer.beginFile(path: Self.unicodeName, size: Int64(Self.bigContents.count), mtime: Self.mtime)
            for start in stride(from: 0, to: Self.bigContents.count, by: 100_000) {
                try writer.writeData(Array(Self.bigContents[start..<min(start + 100_000, Self.bigContents.count)]))
            }
            try writer.endFile()
            try writer.finish()
            #expect(pieces > 10)
            #expect(streamed.count % 512 == 0)
            let tar = directory + "/streamed.tar"
            try Data(streamed).write(to: URL(filePath: tar))
            let entries = try readAll(tar)
            #expect(entries.map(\.entry.path.string) == ["site", Self.unicodeName])
            #expect(entries.last?.data == Self.bigContents)
        }
    }

    @Test("an empty archive has no entries")
    func emptyArchive() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/empty.tar"
            let writer = try TarWriter(path: tar)
            try writer.finish()
            #expect(try readAll(tar).isEmpty)
        }
    }

    @Test("a file shorter than its declared size fails the writer and leaves a truncated tar")
    func shortFile() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/short.tar"
            var writer = try TarWriter(path: tar)
            try writer.addFile(path: "ok.txt", size: 2, mtime: Self.mtime) { try $0.write([1, 2]) }
            #expect(throws: ArchiveError.sizeMismatch(entry: "short.txt", declared: 10, actual: 4)) {
                try writer.addFile(path: "short.txt", size: 10, mtime: Self.mtime) { try $0.write([1, 2, 3, 4]) }
            }
            #expect(throws: ArchiveError.writerFailed) { try writer.addDirectory(path: "later", mtime: Self.mtime) }
            // `finish` consumes the writer, which a closure cannot capture.
            do throws(ArchiveError) {
                try writer.finish()
                Issue.record("finished a failed writer")
            } catch {
                #expect(error == .writerFailed)
            }
            // No end-of-archive marker was written: a reader cannot mistake it for a whole archive.
            #expect(readError(tar) != nil)
        }
    }

    @Test("writing past a file's declared size is refused before libarchive drops the excess")
    func longFile() throws {
        try withTemporaryDirectory { directory in
            var writer = try TarWriter(path: directory + "/long.tar")
            #expect(throws: ArchiveError.sizeMismatch(entry: "long.txt", declared: 3, actual: 5)) {
                try writer.addFile(path: "long.txt", size: 3, mtime: Self.mtime) { file in
                    try file.write([1, 2])
                    try file.write([3, 4, 5])
                }
            }
        }
    }

    @Test("an error thrown while producing a file's data is rethrown and fails the writer")
    func producerError() throws {
        struct SourceGone: Error {}
        try withTemporaryDirectory { directory in
            var writer = try TarWriter(path: directory + "/x.tar")
            #expect(throws: SourceGone.self) {
                try writer.addFile(path: "x", size: 5, mtime: Self.mtime) { _ in throw SourceGone() }
            }
            // `finish` consumes the writer, which a closure cannot capture.
            do throws(ArchiveError) {
                try writer.finish()
                Issue.record("finished a failed writer")
            } catch {
                #expect(error == .writerFailed)
            }
        }
    }

    @Test("the writer refuses the paths the reader would refuse")
    func writerValidatesPaths() throws {
        try withTemporaryDirectory { directory in
            var writer = try TarWriter(path: directory + "/bad.tar")
            #expect(throws: ArchiveError.invalidPath(entry: "../up", violation: .parentComponent)) {
                try writer.addFile(path: "../up", size: 0, mtime: Self.mtime) { _ in }
            }
        }
    }

    @Test("a tar cut short is reported, not read as complete")
    func truncatedArchive() throws {
        try withTemporaryDirectory { directory in
            let tar = directory + "/cut.tar"
            try Self.writeSample(tar)
            let whole = try Data(contentsOf: URL(filePath: tar))
            try whole.prefix(whole.count / 2).write(to: URL(filePath: tar))
            #expect(readError(tar) != nil)
        }
    }

    @Test("opening a missing tar or creating one in a missing directory names the path")
    func cannotOpen() throws {
        try withTemporaryDirectory { directory in
            let missing = directory + "/nope/x.tar"
            #expect { _ = try TarReader(path: missing) } throws: { error in
                guard case ArchiveError.cannotOpen(missing, _) = error else { return false }
                return true
            }
            #expect { _ = try TarWriter(path: missing) } throws: { error in
                guard case ArchiveError.cannotOpen(missing, _) = error else { return false }
                return true
            }
        }
    }

    @Test("a file that is not a tar is refused on opening, with libarchive's message")
    func notATar() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/notes.txt"
            try Data(repeating: 0x41, count: 4096).write(to: URL(filePath: path))
            #expect { _ = try TarReader(path: path) } throws: { error in
                guard case ArchiveError.cannotOpen(path, let message) = error else { return false }
                return message == "Unrecognized archive format"  // libarchive's own words
            }
        }
    }
}
