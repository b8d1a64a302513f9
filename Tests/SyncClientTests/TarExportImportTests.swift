import ContentStore
import Foundation
import SyncProtocol
import Testing
@testable import SyncClient

/// Export and import through a live server, against GNU tar.
@Suite("Tar export and import against a live server")
struct TarExportImportTests {
    /// Runs a program, failing the test on a non-zero exit.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(filePath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(filePath: directory) }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(executable) \(arguments) failed")
        return String(decoding: data, as: UTF8.self)
    }

    /// The export written to `path`, as `followup export -o` writes it.
    func export(_ api: APIClient, client: String, project: String? = nil, at: Int64? = nil, to path: String) async throws -> Int64? {
        let export = try await api.export(client: client, project: project, at: at)
        let file = try DirectFileWriter(creating: path)
        for try await buffer in export.body { try buffer.withUnsafeReadableBytes { try file.write($0) } }
        try file.finish()
        try file.close()
        return export.position
    }

    func tree(_ root: String) throws {
        try TestTree.write(root, "video/master.mov", TestTree.bytes(700_000, seed: 1))
        try TestTree.write(root, "brand/logo é (final).png", TestTree.bytes(40_000, seed: 2))
        try TestTree.write(root, "notes/brief.txt", Array("v1".utf8))
        try TestTree.write(root, "empty.txt", [])
        try FileManager.default.createDirectory(atPath: root + "/drafts/none yet", withIntermediateDirectories: true)
    }

    @Test("push, export, extract with GNU tar: the trees are equal; the manifest and LEDGER.csv are inside")
    func exportRoundTrip() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try tree(source)
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let tar = server.root + "/acme.tar"
            let position = try await export(try server.api(server.acmeToken), client: "acme", to: tar)
            let out = server.root + "/extracted"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try run("/usr/bin/tar", ["-xf", tar, "-C", out])
            #expect(try TestTree.snapshot(out + "/site") == (try TestTree.snapshot(source)))
            let manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(TestTree.read(out, ExportManifest.fileName)))
            #expect(manifest.client == "acme" && manifest.projects == ["site", ] && manifest.position == position)
            #expect(manifest.files.map(\.path).sorted() == ["brand/logo é (final).png", "drafts/none yet", "empty.txt", "notes/brief.txt", "video/master.mov"])
            let logo = try #require(manifest.files.first { $0.path.hasPrefix("brand/") })
            #expect(logo.sha256 == ChunkDigest(bytes: SHA256.hash(TestTree.bytes(40_000, seed: 2)).bytes))
            #expect(try TestTree.read(out, "LEDGER.csv") == Array(LedgerCSV.header.utf8))
        }
    }

    @Test("an export of more files than one catalog page holds has every file once, in the tar and the manifest")
    func exportManyPages() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/many"
            // 2,345 files: three pages of the export's catalog queries, the last one short.
            for n in 0..<2345 { try TestTree.write(source, "d\(n % 7)/f\(n).txt", n % 3 == 0 ? [] : Array("\(n)".utf8)) }
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            try FileManager.default.removeItem(atPath: source + "/d3/f3.txt")
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            let tar = server.root + "/many.tar"
            _ = try await export(try server.api(server.acmeToken), client: "acme", to: tar)
            let out = server.root + "/extracted"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try run("/usr/bin/tar", ["-xf", tar, "-C", out])
            #expect(try TestTree.snapshot(out + "/site") == (try TestTree.snapshot(source)))
            let manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(TestTree.read(out, ExportManifest.fileName)))
            #expect(manifest.files.count == 2344 && Set(manifest.files.map(\.path)).count == 2344)
            #expect(!manifest.files.contains { $0.path == "d3/f3.txt" })
        }
    }

    @Test("an export at a past feed position has the old contents; a client cannot export another's")
    func pastPositionAndIsolation() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            try tree(source)
            let first = try await server.pusher().push(directory: source, client: "acme", project: "site")
            try TestTree.write(source, "notes/brief.txt", Array("v2, rewritten".utf8))
            try FileManager.default.removeItem(atPath: source + "/empty.txt")
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")

            let tar = server.root + "/old.tar"
            _ = try await export(try server.api(server.staffToken), client: "acme", project: "site", at: first.commit, to: tar)
            let out = server.root + "/old"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try run("/usr/bin/tar", ["-xf", tar, "-C", out])
            #expect(try TestTree.read(out, "site/notes/brief.txt") == Array("v1".utf8))
            #expect(FileManager.default.fileExists(atPath: out + "/site/empty.txt"))

            do {
                _ = try await export(try server.api(server.globexToken), client: "acme", to: server.root + "/stolen.tar")
                Issue.record("globex exported acme")
            } catch let RemoteError.server(status, _, _) {
                #expect(status == 404)
            }
        }
    }

    @Test("a GNU tar (gzip) imports as one commit and pulls into the client's folder unchanged")
    func importGNUTar() async throws {
        try await LiveServer.run { server in
            let source = server.root + "/foreign"
            try tree(source)
            let tar = server.root + "/foreign.tgz"
            try run("/usr/bin/tar", ["-czf", tar, "-C", source, "."])
            let summary = try await TarImporter(pusher: try server.pusher()).importTar(tar, client: "acme", project: "site")
            #expect(summary.files == 4 && summary.written == 5)     // four files and the empty folder
            let folder = server.root + "/client"
            _ = try await server.puller(server.acmeToken).pull(folder: folder, client: "acme")
            #expect(try TestTree.snapshot(folder + "/site") == (try TestTree.snapshot(source)))
        }
    }

    /// Hostile tars, each built with GNU tar (or patched after), and the entry the error names.
    static let hostile: [(name: String, message: String)] = [
        ("absolute", "'/tmp/followup-absolute.txt' refused: absolute path"),
        ("parent", "'../escape.txt' refused: path contains '..'"),
        ("symlink", "'link' refused: a symbolic link"),
        ("hardlink", "'b.txt' refused: a hard link"),
        ("duplicate", "the entry a.txt appears twice"),
        ("file and folder", "the entry a.txt/inner.txt needs a.txt to be a folder"),
        ("huge size", "the entry a.txt declares 8589934591 bytes"),
        ("truncated", "c.bin"),
        ("long name", "path component of 300 bytes exceeds 255"),
        ("corrupt header", "Damaged tar archive"),
    ]

    func makeHostile(_ kind: String, in root: String) throws -> String {
        let work = root + "/work-\(kind.replacingOccurrences(of: " ", with: "-"))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try TestTree.write(work, "a.txt", Array("a".utf8))
        let tar = root + "/\(kind.replacingOccurrences(of: " ", with: "-")).tar"
        switch kind {
        case "absolute":
            try TestTree.write("/tmp", "followup-absolute.txt", Array("x".utf8))
            try run("/usr/bin/tar", ["-cPf", tar, "-C", work, "a.txt", "/tmp/followup-absolute.txt"])
        case "parent":
            try TestTree.write(root, "escape.txt", Array("out".utf8))
            try run("/usr/bin/tar", ["-cPf", tar, "-C", work, "a.txt", "../escape.txt"])
        case "symlink":
            try FileManager.default.createSymbolicLink(atPath: work + "/link", withDestinationPath: "/etc/passwd")
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt", "link"])
        case "hardlink":
            try FileManager.default.linkItem(atPath: work + "/a.txt", toPath: work + "/b.txt")
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt", "b.txt"])
        case "duplicate":
            // Appended by a second run, so GNU tar cannot store it as a hard link.
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt"])
            try run("/usr/bin/tar", ["-rf", tar, "-C", work, "a.txt"])
        case "file and folder":
            try TestTree.write(work, "inner.txt", Array("i".utf8))
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt", "inner.txt", "--transform", "s|^inner.txt$|a.txt/inner.txt|"])
        case "huge size":
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt"])
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tar)))
            // Size field (octal, offset 124, 12 bytes) to 77777777777 (8 GiB − 1), then the checksum.
            let size = Array("77777777777\0".utf8)
            bytes.replaceSubrange(124..<136, with: size)
            bytes.replaceSubrange(148..<156, with: Array(repeating: UInt8(ascii: " "), count: 8))
            let sum = bytes[0..<512].reduce(0) { $0 + Int($1) }
            let field = Array(String(format: "%06o\0 ", sum).utf8)
            bytes.replaceSubrange(148..<156, with: field)
            try Data(bytes).write(to: URL(fileURLWithPath: tar))
        case "truncated":
            // Cut inside c.bin, where the archive is still longer than c.bin claims to be.
            try TestTree.write(work, "b.bin", TestTree.bytes(300_000, seed: 7))
            try TestTree.write(work, "c.bin", TestTree.bytes(300_000, seed: 8))
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt", "b.bin", "c.bin"])
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tar)))
            try Data(bytes.prefix(450_000)).write(to: URL(fileURLWithPath: tar))
        case "long name":
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt", "--transform", "s|^a.txt$|\(String(repeating: "n", count: 300))|"])
        case "corrupt header":
            // A second entry whose header checksum no longer matches.
            try TestTree.write(work, "b.txt", Array("b".utf8))
            try run("/usr/bin/tar", ["-cf", tar, "-C", work, "a.txt", "b.txt"])
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tar)))
            bytes[1024 + 100] ^= 0x7F
            try Data(bytes).write(to: URL(fileURLWithPath: tar))
        default:
            Issue.record("unknown case \(kind)")
        }
        return tar
    }

    @Test("a hostile tar is refused with an error naming the entry, and nothing reaches the server",
          arguments: TarExportImportTests.hostile)
    func hostileImport(_ kind: String, _ message: String) async throws {
        try await LiveServer.run { server in
            let tar = try makeHostile(kind, in: server.root)
            do {
                _ = try await TarImporter(pusher: try server.pusher()).importTar(tar, client: "acme", project: "site")
                Issue.record("the \(kind) tar was imported")
            } catch let error as ImportError {
                #expect("\(error)".contains(message), "\(kind): \(error)")
            }
            #expect(try await server.storage.catalog.files(client: "acme", project: "site").isEmpty)
            #expect(try await server.storage.catalog.chunkIDs().isEmpty)
        }
    }
}
