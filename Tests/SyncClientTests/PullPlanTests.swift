import ContentStore
import Foundation
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("Reading the change feed into a pull plan")
struct PullPlanTests {
    func put(_ seq: Int64, _ path: String, project: String = "site", content: [UInt8] = Array("x".utf8)) -> ChangeEvent {
        let id = SHA256.hash(content)
        return ChangeEvent(
            seq: seq, kind: .filePut, project: project, path: path, time: 1_790_000_000,
            data: .object([
                "version": .integer(1), "size": .integer(Int64(content.count)), "sha256": .string(id.hex),
                "mode": .integer(0o644), "mtime_ns": .integer(5),
                "chunks": .array(content.isEmpty ? [] : [.array([.string(id.hex), .integer(Int64(content.count))])]),
            ]))
    }

    @Test("the last word on a path wins; ledger entries and the position are kept; other kinds are skipped")
    func lastWordWins() throws {
        var plan = PullPlan(cursor: 3)
        try plan.apply(put(4, "a.txt"))
        try plan.apply(ChangeEvent(seq: 5, kind: .fileDelete, project: "site", path: "a.txt"))
        try plan.apply(put(6, "b.txt"))
        try plan.apply(ChangeEvent(seq: 7, kind: .fileDelete, project: "site", path: "b.txt"))
        try plan.apply(put(8, "b.txt", content: []))
        try plan.apply(ChangeEvent(seq: 9, kind: .quoteState, data: .object(["state": .string("sent")])))
        try plan.apply(ChangeEvent(seq: 10, kind: .ledgerEntry, project: "site", data: .object([
            "sequence": .integer(1), "kind": .string("debit"), "at": .integer(1), "minutes": .integer(30),
            "service": .string("design"), "hash": .string("ab"),
        ])))
        #expect(plan.cursor == 10)
        #expect(plan.change(for: "site/a.txt") == .delete)
        guard case let .put(version)? = plan.change(for: "site/b.txt") else { Issue.record("b.txt is not a put"); return }
        #expect(version.size == 0 && version.chunks.isEmpty && version.sha256 == SHA256.hash([]))
        #expect(plan.ledger.map(\.minutes) == [-30])
    }

    @Test("the changes come out once per path, sorted by the bytes of the path, the last word kept")
    func sortedChanges() throws {
        var plan = PullPlan(cursor: 0)
        try plan.apply(put(1, "b/z.txt"))
        try plan.apply(put(2, "a b.txt"))
        try plan.apply(put(3, "a/c.txt"))
        try plan.apply(ChangeEvent(seq: 4, kind: .fileDelete, project: "site", path: "b/z.txt"))
        try plan.apply(put(5, "é.txt"))
        try plan.apply(put(6, "Z.txt"))
        try plan.apply(put(7, "a b.txt", content: Array("y".utf8)))
        let sorted = plan.sortedChanges()
        #expect(sorted.map(\.path) == ["site/Z.txt", "site/a b.txt", "site/a/c.txt", "site/b/z.txt", "site/é.txt"])
        #expect(sorted[3].change == .delete)
        guard case let .put(version) = sorted[1].change else { Issue.record("a b.txt is not a put"); return }
        #expect(version.sha256 == SHA256.hash(Array("y".utf8)))
        #expect(!plan.hasChanges && plan.cursor == 7)
    }

    @Test("hostile paths from the network are refused before anything is written", arguments: [
        ("site", "../escape"), ("site", "a/../../etc/passwd"), ("site", "/etc/passwd"), ("site", "a//b"),
        ("site", "a/./b"), ("site", ""), ("site", "bad\u{0}name"), ("site", "line\nbreak"),
        ("site", "del\u{7F}x"), ("site", "next\u{85}line"), ("site", "csi\u{9B}x"), ("site", "apc\u{9F}"),
        ("site", "a/"), ("site", ".."), ("site", "a/.."), ("site", String(repeating: "x", count: 256)),
        ("site", String(repeating: "abcdefg/", count: 512) + "x"),
        ("../up", "x"), (".followup", "cursor.json"), ("Site", "x"), ("-x", "y"), ("a/b", "c"),
    ])
    func hostilePaths(project: String, path: String) {
        var plan = PullPlan(cursor: 0)
        #expect(throws: SyncError.self) { try plan.apply(put(1, path, project: project)) }
        #expect(!plan.hasChanges)
    }

    @Test("characters that are not control characters pass, whatever their script")
    func nonControlCharacters() throws {
        for path in ["caf\u{E9}.txt", "\u{A0}nbsp", "\u{200B}zero width", "\u{1F600}.txt", "tab\u{2409}", "...", ".hidden/a",
                     "a/.b", "..b/c..", "\u{C2}\u{A0}", String(repeating: "x", count: 255)] {
            #expect(try PullPlan.localPath(project: "site", path: path) == "site/" + path)
        }
    }

    @Test("a file version whose chunks do not add up to its size is refused")
    func inconsistentVersion() {
        var event = put(1, "a.txt")
        if case var .object(fields) = event.data {
            fields["size"] = .integer(99)
            event.data = .object(fields)
        }
        var plan = PullPlan(cursor: 0)
        #expect(throws: RemoteError.self) { try plan.apply(event) }
    }

    @Test("conflict copies are named NAME (server YYYY-MM-DD HHMM).EXT, numbered when taken")
    func conflictNames() {
        let rome = TimeZone(identifier: "Europe/Rome")!
        let time: Int64 = 1795810080     // 2026-11-27 20:08 UTC
        #expect(ConflictName.make(for: "site/brief.docx", serverTime: time, timeZone: rome) { _ in false }
            == "site/brief (server 2026-11-27 2108).docx")
        #expect(ConflictName.make(for: "site/Makefile", serverTime: time, timeZone: rome) { _ in false }
            == "site/Makefile (server 2026-11-27 2108)")
        #expect(ConflictName.make(for: "site/.env", serverTime: time, timeZone: rome) { _ in false }
            == "site/.env (server 2026-11-27 2108)")
        let taken: Set = ["site/a (server 2026-11-27 2108).txt", "site/a (server 2026-11-27 2108 2).txt"]
        #expect(ConflictName.make(for: "site/a.txt", serverTime: time, timeZone: rome) { taken.contains($0) }
            == "site/a (server 2026-11-27 2108 3).txt")
    }
}
