import ContentStore
import Foundation
import Ledger
import SQLKit
import Testing
@testable import Catalog

/// The ledger fixture (acme/social, zeta/website, zeta/flex, nop/misc) plus helpers for
/// indexed chunks and uploads. Chunk "x" has id `id("x")`, 10 bytes unless told.
private struct CommitFixture {
    let ledger: LedgerFixture
    var catalog: Catalog { ledger.catalog }

    /// Runs `body` on a fresh fixture and closes the catalog whether it returns or throws
    /// (an unclosed connection crashes the whole test run in debug builds).
    static func run(_ body: (CommitFixture) async throws -> Void) async throws {
        let fixture = CommitFixture(ledger: try await LedgerFixture.make())
        do {
            try await body(fixture)
        } catch {
            await fixture.catalog.close()
            throw error
        }
        await fixture.catalog.close()
    }

    /// Adds the chunks to the index, in a pack of their own.
    func index(_ names: [String], length: Int = 10) async throws {
        let entries = names.enumerated().map { PackFormat.Entry(id: id($0.element), offset: Int64($0.offset * length), length: length) }
        try await catalog.add(
            pack: PackRecord(name: id(names.joined(separator: "|")).hex, size: Int64(names.count * length), chunkCount: names.count),
            entries: entries)
    }

    func manifest(_ content: String, _ chunks: [String], length: Int = 10) -> Manifest {
        Manifest(size: Int64(chunks.count * length), fileHash: id(content), chunks: chunks.map { ChunkRef(id: id($0), length: length) })
    }

    func upload(_ path: String, _ manifest: Manifest, mode: Int = 0o644, mtimeNs: Int64 = 1_700_000_000_000_000_000, phase: String? = nil) -> FileUpload {
        FileUpload(path: path, size: manifest.size, mode: mode, mtimeNs: mtimeNs, manifest: manifest, phase: phase)
    }

    func commit(
        _ client: String = "acme", _ project: String = "social", files: [FileUpload] = [], deletions: [String] = [],
        hours: HourLog? = nil, thresholds: [Percent] = [], at time: Date = Date(timeIntervalSince1970: 1_790_000_000)
    ) async throws -> Committed {
        let result = try await catalog.commit(
            client: client, project: project,
            CommitRequest(files: files, deletions: deletions, hours: hours, alertThresholds: thresholds, authorToken: 7), at: time)
        // Each path's latest version as of the commit's feed position is the one it wrote.
        var latest: [[UInt8]: FileVersion] = [:]
        for version in try await catalog.latestVersions(client: client, project: project, at: result.feedSequence, after: nil, limit: 100_000) {
            latest[Array(version.path.utf8)] = version
        }
        func read(_ paths: [String]) throws -> [FileVersion] { try paths.map { try #require(latest[Array($0.utf8)]) } }
        let committed = Committed(result: result, versions: try read(result.written), tombstones: try read(result.deleted))
        // Tombstones, then the new versions, hold the last feed numbers of the commit.
        let seqs = (committed.tombstones + committed.versions).map(\.seq)
        if !seqs.isEmpty { #expect(seqs == Array((result.feedSequence - Int64(seqs.count) + 1)...result.feedSequence)) }
        return committed
    }

    /// A commit's result and the versions it wrote, read back from the catalog in its order.
    struct Committed {
        var result: CommitResult
        var versions: [FileVersion]
        var tombstones: [FileVersion]
        var unchanged: [String] { result.unchanged }
        var hourEntry: Int64? { result.hourEntry }
        var feedSequence: Int64 { result.feedSequence }
    }

    func events(_ client: String = "acme", after cursor: Int64) async throws -> [ChangeRecord] {
        try await catalog.changes(client: client, since: cursor, limit: 10_000).events
    }

    /// Everything a refused commit must leave as it was.
    func state(_ client: String = "acme", _ project: String = "social") async throws -> [String] {
        [
            "\(try await catalog.latestChangeSequence(client: client))",
            "\(try await catalog.files(client: client, project: project))",
            "\(try await catalog.ledgerEntries(client: client).count)",
            "\(try await catalog.fileVersionChunkIDs().sorted())",
            "\(try await catalog.chunksVisible(to: client, among: ["a", "b", "c", "d", "e", "f", "g"].map(id)).sorted())",
        ]
    }
}

private struct DecodedPut: Decodable, Equatable {
    var version: Int
    var size: Int64
    var sha256: String
    var mode: Int
    var mtime_ns: Int64
    var chunks: [[ChunkField]]
}

private enum ChunkField: Decodable, Equatable {
    case id(String)
    case length(Int)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let length = try? container.decode(Int.self) { self = .length(length) } else { self = .id(try container.decode(String.self)) }
    }
}

@Suite("Catalog: commits")
struct CommitTests {
    @Test("a commit of 3 files writes 3 versions and 3 file.put events that carry the chunk lists")
    func threeFiles() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a", "b", "c", "d"])
            let start = try await catalog.latestChangeSequence(client: "acme")
            let logo = fixture.manifest("logo", ["a", "b"])
            let result = try await fixture.commit(files: [
                fixture.upload("img/logo.svg", logo, mode: 0o600, mtimeNs: 1_700_000_000_123_456_789, phase: "Strategy"),
                fixture.upload("notes.txt", fixture.manifest("notes", ["c", "a"])),
                fixture.upload("empty.txt", fixture.manifest("", [])),
            ])
            #expect(result.versions.map(\.path) == ["img/logo.svg", "notes.txt", "empty.txt"])
            #expect(result.versions.map(\.version) == [1, 1, 1])
            #expect(result.versions.map(\.seq) == [start + 1, start + 2, start + 3])
            #expect(result.tombstones.isEmpty && result.unchanged.isEmpty && result.hourEntry == nil)
            #expect(result.feedSequence == start + 3)
            let first = result.versions[0]
            #expect(first.manifest == logo && first.size == 20 && first.mode == 0o600 && first.mtimeNs == 1_700_000_000_123_456_789)
            #expect(first.phase == "Strategy" && first.authorToken == 7 && first.hourEntry == nil && !first.deleted)
            #expect(first.created == Date(timeIntervalSince1970: 1_790_000_000))

            let events = try await fixture.events(after: start)
            #expect(events.map(\.kind) == ["file.put", "file.put", "file.put"])
            #expect(events.map(\.path) == ["img/logo.svg", "notes.txt", "empty.txt"])
            #expect(events.allSatisfy { $0.project == "social" })
            #expect(events[0].data == #"{"chunks":[["\#(id("a").hex)",10],["\#(id("b").hex)",10]],"mode":384,"#
                + #""mtime_ns":1700000000123456789,"sha256":"\#(id("logo").hex)","size":20,"version":1}"#)
            let notes = try JSONDecoder().decode(DecodedPut.self, from: Data(events[1].data.utf8))
            #expect(notes.chunks == [[.id(id("c").hex), .length(10)], [.id(id("a").hex), .length(10)]])
            let empty = try JSONDecoder().decode(DecodedPut.self, from: Data(events[2].data.utf8))
            #expect(empty.chunks.isEmpty && empty.size == 0)

            #expect(try await catalog.files(client: "acme", project: "social") == result.versions.sorted { $0.path < $1.path })
            #expect(try await catalog.latestFiles(client: "acme", project: "social") == result.versions.sorted { $0.path < $1.path })
            #expect(try await catalog.fileVersionChunkIDs() == Set(["a", "b", "c"].map(id)))
        }
    }

    @Test("re-committing identical content writes nothing; a change makes version 2")
    func unchangedAndChanged() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a", "b", "c"])
            let files = [fixture.upload("a.txt", fixture.manifest("A", ["a"])), fixture.upload("b.txt", fixture.manifest("B", ["b"]))]
            let first = try await fixture.commit(files: files)
            let before = try await fixture.state()

            let again = try await fixture.commit(files: files)
            #expect(again.versions.isEmpty && again.tombstones.isEmpty && again.unchanged == ["a.txt", "b.txt"])
            #expect(again.feedSequence == first.feedSequence)
            // Only the mtime or the phase differs: still the same file.
            var touched = files[0]
            touched.mtimeNs += 1
            touched.phase = "Content"
            #expect(try await fixture.commit(files: [touched]).unchanged == ["a.txt"])
            #expect(try await fixture.state() == before)

            // New content, and a mode change, each make the next version.
            var chmod = files[1]
            chmod.mode = 0o755
            let changed = try await fixture.commit(files: [fixture.upload("a.txt", fixture.manifest("A2", ["c"])), chmod])
            #expect(changed.versions.map(\.path) == ["a.txt", "b.txt"] && changed.versions.map(\.version) == [2, 2])
            #expect(changed.unchanged.isEmpty)
            #expect(changed.feedSequence == first.feedSequence + 2)
            let events = try await fixture.events(after: first.feedSequence)
            #expect(events.map(\.kind) == ["file.put", "file.put"])
            #expect(events[0].data.contains(#""version":2"#) && events[1].data.contains(#""mode":493"#))
            #expect(try await catalog.files(client: "acme", project: "social").map(\.manifest) == [fixture.manifest("A2", ["c"]), files[1].manifest])
            // An empty commit changes nothing and reports where the feed is.
            #expect(try await fixture.commit().feedSequence == changed.feedSequence)
        }
    }

    @Test("a deletion writes a tombstone; deleting a path that is not live is .notFound and writes nothing")
    func deletions() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a", "b"])
            let created = try await fixture.commit(files: [
                fixture.upload("a.txt", fixture.manifest("A", ["a"])), fixture.upload("dir/b.txt", fixture.manifest("B", ["b"])),
            ])
            let deleted = try await fixture.commit(deletions: ["dir/b.txt"])
            #expect(deleted.versions.isEmpty && deleted.tombstones.count == 1)
            let tombstone = deleted.tombstones[0]
            #expect(tombstone.path == "dir/b.txt" && tombstone.version == 2 && tombstone.deleted && tombstone.manifest == nil)
            #expect(tombstone.size == 0 && tombstone.authorToken == 7 && tombstone.seq == created.feedSequence + 1)
            let events = try await fixture.events(after: created.feedSequence)
            #expect(events.map(\.kind) == ["file.delete"] && events[0].data == #"{"version":2}"# && events[0].path == "dir/b.txt")
            #expect(try await catalog.files(client: "acme", project: "social").map(\.path) == ["a.txt"])
            // History stays: the deleted file's chunk is still marked for gc and fetchable by its client.
            #expect(try await catalog.fileVersionChunkIDs() == Set(["a", "b"].map(id)))
            #expect(try await catalog.clientReferences(chunk: id("b"), client: "acme"))

            let before = try await fixture.state()
            for missing in ["dir/b.txt", "nope.txt", "dir"] {
                await #expect(throws: CatalogError.self) {
                    _ = try await fixture.commit(files: [fixture.upload("new.txt", fixture.manifest("N", ["a"]))], deletions: [missing])
                }
            }
            await #expect(throws: CatalogError.notFound("no file \"nope.txt\" in acme/social")) {
                _ = try await fixture.commit(deletions: ["a.txt", "nope.txt"])
            }
            #expect(try await fixture.state() == before)

            // A deleted path can come back: the next version after its tombstone.
            let back = try await fixture.commit(files: [fixture.upload("dir/b.txt", fixture.manifest("B", ["b"]))])
            #expect(back.versions.map(\.version) == [3])
        }
    }

    @Test("hostile paths are .invalid and nothing is written")
    func hostilePaths() async throws {
        try await CommitFixture.run { fixture in
            try await fixture.index(["a"])
            _ = try await fixture.commit(files: [fixture.upload("kept.txt", fixture.manifest("K", ["a"]))])
            let before = try await fixture.state()
            let longComponent = String(repeating: "x", count: 300)
            let longPath = Array(repeating: String(repeating: "y", count: 200), count: 6).joined(separator: "/")  // 1205 bytes
            let boundary = (Array(repeating: String(repeating: "q", count: 255), count: 3) + [String(repeating: "q", count: 254), "r"])
                .joined(separator: "/")  // 1024 bytes: the longest legal path
            let hostile = [
                "", "a//b", "a/./b", "../x", "/etc/passwd", "a\u{0}b", "a/\(longComponent)", longComponent,
                ".", "..", "a/..", "a/.", "./a", "a/", "/", "//", "a\nb", "a\u{1}b", "a\u{7F}b", "a\u{85}b", "a\tb", longPath, boundary + "x",
            ]
            for path in hostile {
                #expect(Catalog.filePathProblem(path) != nil, "accepted \(Catalog.quoted(path))")
                await #expect(throws: CatalogError.self, "committed \(Catalog.quoted(path))") {
                    _ = try await fixture.commit(files: [fixture.upload("ok.txt", fixture.manifest("O", ["a"])), fixture.upload(path, fixture.manifest("H", ["a"]))])
                }
                await #expect(throws: CatalogError.self, "deleted \(Catalog.quoted(path))") {
                    _ = try await fixture.commit(files: [fixture.upload("ok.txt", fixture.manifest("O", ["a"]))], deletions: [path])
                }
            }
            do {
                _ = try await fixture.commit(files: [fixture.upload("a\u{0}b", fixture.manifest("H", ["a"]))])
                Issue.record("a NUL was accepted")
            } catch CatalogError.invalid(let message) {
                #expect(message == #"invalid path "a\u{0}b": a path cannot contain NUL or control characters"#)
            }
            // Byte-for-byte duplicates, within files, within deletions and across both.
            let file = fixture.upload("dup.txt", fixture.manifest("D", ["a"]))
            await #expect(throws: CatalogError.invalid("the path \"dup.txt\" appears twice in the commit")) {
                _ = try await fixture.commit(files: [file, file])
            }
            await #expect(throws: CatalogError.invalid("the path \"kept.txt\" appears twice in the commit")) {
                _ = try await fixture.commit(deletions: ["kept.txt", "kept.txt"])
            }
            await #expect(throws: CatalogError.invalid("the path \"kept.txt\" appears twice in the commit")) {
                _ = try await fixture.commit(files: [fixture.upload("kept.txt", fixture.manifest("K2", ["a"]))], deletions: ["kept.txt"])
            }
            // Metadata that contradicts the manifest, a mode beyond permission bits, an unknown phase.
            var wrongSize = fixture.upload("w.txt", fixture.manifest("W", ["a"]))
            wrongSize.size = 11
            var wrongManifest = fixture.upload("w.txt", fixture.manifest("W", ["a"]))
            wrongManifest.manifest.size = 11
            wrongManifest.size = 11
            let typeBits = fixture.upload("w.txt", fixture.manifest("W", ["a"]), mode: 0o100644)
            let badPhase = fixture.upload("w.txt", fixture.manifest("W", ["a"]), phase: "Nope")
            for bad in [wrongSize, wrongManifest, typeBits, badPhase] {
                await #expect(throws: CatalogError.self) { _ = try await fixture.commit(files: [bad]) }
            }
            #expect(try await fixture.state() == before)

            // Long but legal: 255-byte components, 1024 bytes in all; any non-control Unicode.
            let legal = [String(repeating: "z", count: 255), boundary, "progetto/città/Ürün 😀.txt", "..a/b..", ".hidden/.x", "a\\b"]
            #expect(boundary.utf8.count == 1024)
            for path in legal { #expect(Catalog.filePathProblem(path) == nil, "refused \(path)") }
            let accepted = try await fixture.commit(files: legal.enumerated().map { fixture.upload($0.element, fixture.manifest("L\($0.offset)", ["a"])) })
            #expect(accepted.versions.count == legal.count)
        }
    }

    @Test("paths are bytes: precomposed and decomposed é are two files")
    func unnormalizedPaths() async throws {
        try await CommitFixture.run { fixture in
            try await fixture.index(["a", "b"])
            let composed = "caf\u{E9}.txt"
            let decomposed = "cafe\u{301}.txt"
            #expect(composed == decomposed)  // Swift compares canonically; the catalog must not.
            let result = try await fixture.commit(files: [
                fixture.upload(composed, fixture.manifest("1", ["a"])), fixture.upload(decomposed, fixture.manifest("2", ["b"])),
            ])
            #expect(result.versions.map(\.version) == [1, 1])
            let files = try await fixture.catalog.files(client: "acme", project: "social")
            #expect(Set(files.map { Array($0.path.utf8) }) == [Array(composed.utf8), Array(decomposed.utf8)])
            let deleted = try await fixture.commit(deletions: [decomposed])
            #expect(deleted.tombstones.map { Array($0.path.utf8) } == [Array(decomposed.utf8)])
            #expect(try await fixture.catalog.files(client: "acme", project: "social").map { Array($0.path.utf8) } == [Array(composed.utf8)])
        }
    }

    @Test("a path cannot be both a file and a folder")
    func filesAndFolders() async throws {
        try await CommitFixture.run { fixture in
            try await fixture.index(["a"])
            let content = fixture.manifest("A", ["a"])
            _ = try await fixture.commit(files: [fixture.upload("docs", content), fixture.upload("src/main.c", content)])
            let before = try await fixture.state()
            await #expect(throws: CatalogError.conflict(#""docs/readme" cannot be added to acme/social: "docs" is a file"#)) {
                _ = try await fixture.commit(files: [fixture.upload("docs/readme", content)])
            }
            await #expect(throws: CatalogError.conflict(#""src" cannot be a file in acme/social: "src/main.c" is inside it"#)) {
                _ = try await fixture.commit(files: [fixture.upload("src", content)])
            }
            await #expect(throws: CatalogError.invalid(#""x" cannot be a file in acme/social: "x/y/z" is inside it"#)) {
                _ = try await fixture.commit(files: [fixture.upload("x/y/z", content), fixture.upload("x", content)])
            }
            #expect(try await fixture.state() == before)
            // Deleting the file in the same commit frees the name for a folder; deletions come first in the feed.
            let swapped = try await fixture.commit(files: [fixture.upload("docs/readme", content)], deletions: ["docs"])
            let events = try await fixture.events(after: swapped.feedSequence - 2)
            #expect(events.map(\.kind) == ["file.delete", "file.put"] && events.map(\.path) == ["docs", "docs/readme"])
            #expect(try await fixture.catalog.files(client: "acme", project: "social").map(\.path) == ["docs/readme", "src/main.c"])
        }
    }

    @Test("a manifest with a chunk the index lacks is .conflict naming up to 5 of them, and nothing is written")
    func unindexedChunks() async throws {
        try await CommitFixture.run { fixture in
            try await fixture.index(["a"])
            _ = try await fixture.commit(files: [fixture.upload("kept.txt", fixture.manifest("K", ["a"]))])
            let before = try await fixture.state()
            do {
                _ = try await fixture.commit(files: [
                    fixture.upload("one.txt", fixture.manifest("1", ["a", "m1", "m2"])),
                    fixture.upload("two.txt", fixture.manifest("2", ["m3", "m1", "m4", "m5", "m6", "m7"])),
                ])
                Issue.record("missing chunks were accepted")
            } catch CatalogError.conflict(let message) {
                let shown = ["m1", "m2", "m3", "m4", "m5"].map { id($0).hex }.joined(separator: ", ")
                #expect(message == "7 chunks are not stored (\(shown), …): upload the missing chunks first")
            }
            await #expect(throws: CatalogError.conflict("1 chunk is not stored (\(id("z").hex)): upload the missing chunks first")) {
                _ = try await fixture.commit(files: [fixture.upload("one.txt", fixture.manifest("1", ["z"]))])
            }
            // Indexed, but not with the length the manifest claims.
            await #expect(throws: CatalogError.invalid("chunk \(id("a").hex) is 10 bytes in the store, not 12")) {
                _ = try await fixture.commit(files: [fixture.upload("one.txt", fixture.manifest("1", ["a"], length: 12))])
            }
            #expect(try await fixture.state() == before)
            // Once uploaded, the same commit goes through.
            try await fixture.index(["m1", "m2", "m3", "m4", "m5", "m6", "m7"])
            let result = try await fixture.commit(files: [
                fixture.upload("one.txt", fixture.manifest("1", ["a", "m1", "m2"])),
                fixture.upload("two.txt", fixture.manifest("2", ["m3", "m1", "m4", "m5", "m6", "m7"])),
            ])
            #expect(result.versions.count == 2)
        }
    }

    @Test("the hour entry of a commit is linked to its versions; one beyond the balance is refused and nothing is written")
    func hours() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            _ = try await fixture.ledger.paidWebsite()  // zeta/website: 1320 minutes credited, ledger entry 1
            try await fixture.index(["a", "b"])
            _ = try await fixture.commit("zeta", "website", files: [fixture.upload("old.txt", fixture.manifest("O", ["a"]))])
            let cursor = try await catalog.latestChangeSequence(client: "zeta")
            let result = try await fixture.commit(
                "zeta", "website", files: [fixture.upload("site/index.html", fixture.manifest("I", ["b"]), phase: "Build")],
                deletions: ["old.txt"], hours: fixture.ledger.log(1100, phase: "Build"), thresholds: [80, 100])
            #expect(result.hourEntry == 2)
            #expect(result.versions.map(\.hourEntry) == [2] && result.tombstones.map(\.hourEntry) == [2])
            #expect(result.versions[0].phase == "Build")
            let events = try await fixture.events("zeta", after: cursor)
            #expect(events.map(\.kind) == ["ledger.entry", "budget.alert", "file.delete", "file.put"])
            #expect(result.feedSequence == cursor + 4)
            #expect(try await catalog.files(client: "zeta", project: "website").map(\.hourEntry) == [2])
            guard case .debit(let logged) = try await catalog.ledgerEntries(client: "zeta").last?.entry.kind else {
                Issue.record("no debit"); return
            }
            #expect(logged.minutes == 1100 && logged.phase == "Build")

            // 220 minutes left: 221 is refused with the ledger's own error, and the files stay out too.
            let before = try await fixture.state("zeta", "website")
            await #expect(throws: LedgerError.insufficientBalance(remaining: 220, requested: 221)) {
                _ = try await fixture.commit(
                    "zeta", "website", files: [fixture.upload("more.txt", fixture.manifest("M", ["a"]))],
                    hours: fixture.ledger.log(221))
            }
            #expect(try await fixture.state("zeta", "website") == before)
            // A project allowing overage takes it, flagged.
            let flex = try await fixture.commit(
                "zeta", "flex", files: [fixture.upload("f.txt", fixture.manifest("F", ["a"]))], hours: fixture.ledger.log(30))
            #expect(flex.hourEntry == 3 && flex.versions.map(\.hourEntry) == [3])
        }
    }

    @Test("only the owning client may fetch a chunk")
    func chunkVisibility() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a", "b", "shared", "orphan", "old"])
            _ = try await fixture.commit("acme", "social", files: [fixture.upload("x", fixture.manifest("X", ["a", "shared", "a"]))])
            _ = try await fixture.commit("zeta", "website", files: [fixture.upload("y", fixture.manifest("Y", ["b", "shared"]))])
            _ = try await fixture.commit("zeta", "flex", files: [fixture.upload("z", fixture.manifest("Z", ["old"]))])
            _ = try await fixture.commit("zeta", "flex", files: [fixture.upload("z", fixture.manifest("Z2", ["b"]))])

            #expect(try await catalog.clientReferences(chunk: id("a"), client: "acme"))
            #expect(try await !catalog.clientReferences(chunk: id("a"), client: "zeta"))
            #expect(try await catalog.clientReferences(chunk: id("shared"), client: "acme"))
            #expect(try await catalog.clientReferences(chunk: id("shared"), client: "zeta"))
            #expect(try await !catalog.clientReferences(chunk: id("orphan"), client: "acme"))
            #expect(try await !catalog.clientReferences(chunk: id("a"), client: "nobody"))
            // An older version's chunk stays fetchable: history is the client's too.
            #expect(try await catalog.clientReferences(chunk: id("old"), client: "zeta"))

            let asked = ["a", "b", "shared", "orphan", "old", "unknown", "a"].map(id)
            #expect(try await catalog.chunksVisible(to: "acme", among: asked) == Set(["a", "shared"].map(id)))
            #expect(try await catalog.chunksVisible(to: "zeta", among: asked) == Set(["b", "shared", "old"].map(id)))
            #expect(try await catalog.chunksVisible(to: "nop", among: asked).isEmpty)
            #expect(try await catalog.chunksVisible(to: "acme", among: []).isEmpty)
            // More ids than one batch.
            let many = (0..<1000).map { id("filler \($0)") } + [id("a")] + (1000..<1500).map { id("filler \($0)") } + [id("shared")]
            #expect(try await catalog.chunksVisible(to: "acme", among: many) == Set(["a", "shared"].map(id)))
        }
    }

    @Test("files(at:) shows the project as it was at a feed position")
    func filesAt() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a", "b", "c"])
            let start = try await catalog.latestChangeSequence(client: "acme")
            let first = try await fixture.commit(files: [
                fixture.upload("a.txt", fixture.manifest("A1", ["a"])), fixture.upload("b.txt", fixture.manifest("B", ["b"])),
            ])
            let second = try await fixture.commit(files: [fixture.upload("a.txt", fixture.manifest("A2", ["c"]))], deletions: ["b.txt"])
            // Another client's changes do not leak in.
            _ = try await fixture.commit("zeta", "flex", files: [fixture.upload("a.txt", fixture.manifest("Z", ["a"]))])

            #expect(try await catalog.files(client: "acme", project: "social", at: start).isEmpty)
            #expect(try await catalog.files(client: "acme", project: "social", at: first.feedSequence) == first.versions)
            // Half-way through the first commit: only its first file had been announced.
            #expect(try await catalog.files(client: "acme", project: "social", at: start + 1) == [first.versions[0]])
            let now = try await catalog.files(client: "acme", project: "social")
            #expect(now == second.versions)
            #expect(try await catalog.files(client: "acme", project: "social", at: second.feedSequence) == now)
            #expect(try await catalog.files(client: "acme", project: "social", at: 1_000_000) == now)
            await #expect(throws: CatalogError.notFound("no project acme/nope")) { _ = try await catalog.files(client: "acme", project: "nope") }
            await #expect(throws: CatalogError.self) { _ = try await catalog.files(client: "acme", project: "social", at: -1) }
        }
    }

    @Test("latestVersions pages through a project in path order, tombstones included, as of a position")
    func latestVersionPages() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a", "b"])
            let paths = (0..<7).map { "f\($0).txt" }
            let first = try await fixture.commit(files: paths.map { fixture.upload($0, fixture.manifest($0, ["a"])) })
            _ = try await fixture.commit(files: [fixture.upload("f2.txt", fixture.manifest("new", ["b"]))], deletions: ["f4.txt"])

            func all(at position: Int64?, limit: Int) async throws -> [FileVersion] {
                var pages: [[FileVersion]] = []
                var after: String?
                repeat {
                    pages.append(try await catalog.latestVersions(client: "acme", project: "social", at: position, after: after, limit: limit))
                    after = pages.last?.last?.path
                } while pages.last?.count == limit
                #expect(pages.dropLast().allSatisfy { $0.count == limit })
                return pages.flatMap { $0 }
            }
            for limit in [1, 2, 3, 7, 100] {
                let now = try await all(at: nil, limit: limit)
                #expect(now.map(\.path) == paths)
                #expect(now.filter { !$0.deleted } == (try await catalog.files(client: "acme", project: "social")))
                #expect(now.first { $0.path == "f4.txt" }?.deleted == true)
                #expect(try await all(at: first.feedSequence, limit: limit) == first.versions)
                // Pages of live files only: full until the paths end, past the tombstone.
                var live: [FileVersion] = []
                while true {
                    let page = try await catalog.liveFiles(client: "acme", project: "social", at: nil, after: live.last?.path, limit: limit)
                    live += page
                    if page.count < limit { break }
                }
                #expect(live == (try await catalog.files(client: "acme", project: "social")))
            }
            await #expect(throws: CatalogError.self) {
                _ = try await catalog.latestVersions(client: "acme", project: "social", at: nil, after: nil, limit: 0)
            }
        }
    }

    @Test("a commit of several batches: tombstones then puts in request order, consecutive feed numbers, every chunk indexed and marked used")
    func severalBatches() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            // 450 files, then a commit of 300 deletions, 10 unchanged, 140 changed and 400 new
            // files interleaved: 840 versions, three batches of at most 400.
            let old = (0..<450).map { String(format: "old/f%03d.txt", $0) }
            let fresh = (0..<400).map { String(format: "new/%03d/n.bin", $0) }
            try await fixture.index(["a", "b", "unused"] + fresh.map { "chunk \($0)" })
            let first = try await fixture.commit(files: old.map { fixture.upload($0, fixture.manifest($0, ["a"])) })
            #expect(first.versions.count == 450)

            var files: [FileUpload] = []
            for index in 300..<450 {
                let content = index < 310 ? old[index] : "changed \(index)"
                files.append(fixture.upload(old[index], fixture.manifest(content, index < 310 ? ["a"] : ["b", "a"]), mtimeNs: Int64(index)))
                files.append(contentsOf: fresh[(index - 300) * 400 / 150..<(index - 299) * 400 / 150].map {
                    fixture.upload($0, fixture.manifest($0, ["chunk \($0)", "a"]), mode: 0o600, phase: "Content")
                })
            }
            #expect(files.count == 550)
            let time = Date(timeIntervalSince1970: 1_790_001_234)
            let result = try await fixture.commit(files: files, deletions: Array(old[0..<300].reversed()), at: time)

            let puts = files.filter { !old[300..<310].contains($0.path) }
            #expect(result.result.written == puts.map(\.path))
            #expect(result.result.deleted == Array(old[0..<300].reversed()))
            #expect(result.unchanged == Array(old[300..<310]))
            #expect(result.feedSequence == first.feedSequence + 840)
            #expect(result.tombstones.allSatisfy { $0.deleted && $0.version == 2 && $0.manifest == nil })
            #expect(result.versions.map(\.version) == puts.map { $0.path.hasPrefix("old/") ? 2 : 1 })
            #expect(result.versions.map(\.manifest) == puts.map(\.manifest))
            #expect(result.versions.allSatisfy { $0.created == time && $0.authorToken == 7 })
            // Ids follow the feed, as one multi-row insert after another writes them.
            let written = result.tombstones + result.versions
            #expect(written.map(\.id) == written.map(\.id).sorted() && Set(written.map(\.id)).count == 840)

            let events = try await fixture.events(after: first.feedSequence)
            #expect(events.map(\.seq) == Array(first.feedSequence + 1...first.feedSequence + 840))
            #expect(events.map(\.kind) == Array(repeating: "file.delete", count: 300) + Array(repeating: "file.put", count: 540))
            #expect(events.map(\.path) == result.result.deleted + result.result.written)
            #expect(events[0].data == #"{"version":2}"#)
            let last = try #require(puts.last)
            #expect(events[839].data == #"{"chunks":[["\#(id("chunk \(last.path)").hex)",10],["\#(id("a").hex)",10]],"mode":384,"#
                + #""mtime_ns":1700000000000000000,"sha256":"\#(id(last.path).hex)","size":20,"version":1}"#)

            #expect(try await catalog.chunksVisible(to: "acme", among: (["a", "b", "unused"] + fresh.map { "chunk \($0)" }).map(id))
                == Set((["a", "b"] + fresh.map { "chunk \($0)" }).map(id)))
            let used = try await catalog.entries().filter { $0.lastUsed == time }.map(\.id)
            #expect(Set(used) == Set((["a", "b"] + fresh.map { "chunk \($0)" }).map(id)))
        }
    }

    @Test("the static commit runs inside idempotent: a retry replays and writes nothing")
    func insideIdempotent() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            try await fixture.index(["a"])
            let request = CommitRequest(files: [fixture.upload("a.txt", fixture.manifest("A", ["a"]))], authorToken: 7)
            for attempt in 0..<2 {
                let (response, replayed) = try await catalog.idempotent(scope: "commit acme/social", key: "k1", requestHash: [1]) { db in
                    let result = try await Catalog.commit(db, client: "acme", project: "social", request)
                    return StoredResponse(status: 201, body: Array("\(result.written.count) \(result.feedSequence)".utf8))
                }
                #expect(replayed == (attempt == 1))
                #expect(String(decoding: response.body, as: UTF8.self) == "1 \(try await catalog.latestChangeSequence(client: "acme"))")
            }
            #expect(try await catalog.files(client: "acme", project: "social").map(\.version) == [1])
            // A refusal caught inside the step leaves nothing of it behind, even though the transaction commits.
            let other = fixture.upload("b.txt", fixture.manifest("B", ["a"]))
            let (refused, _) = try await catalog.idempotent(scope: "commit acme/social", key: "k2", requestHash: [2]) { db in
                do {
                    _ = try await Catalog.commit(
                        db, client: "acme", project: "social",
                        CommitRequest(files: [other], deletions: ["nope"], authorToken: 7))
                    return StoredResponse(status: 201, body: [])
                } catch {
                    return StoredResponse(status: 404, body: [])
                }
            }
            #expect(refused.status == 404)
            #expect(try await catalog.files(client: "acme", project: "social").map(\.path) == ["a.txt"])
        }
    }

    @Test("file_chunks is backfilled for versions written without it")
    func backfill() async throws {
        try await CommitFixture.run { fixture in
            let catalog = fixture.catalog
            let legacy = fixture.manifest("L", ["a", "b"])
            _ = try await catalog.transaction { db in
                try await Catalog.insertFileVersion(db, client: "acme", project: "social", path: "legacy.txt", manifest: legacy, at: 1000)
            }
            #expect(try await !catalog.clientReferences(chunk: id("a"), client: "acme"))
            try await catalog.transaction { db in try await Catalog.backfillFileChunks(db) }
            try await catalog.transaction { db in try await Catalog.backfillFileChunks(db) }  // again: no duplicates, no error
            #expect(try await catalog.chunksVisible(to: "acme", among: ["a", "b", "c"].map(id)) == Set(["a", "b"].map(id)))
        }
    }
}
