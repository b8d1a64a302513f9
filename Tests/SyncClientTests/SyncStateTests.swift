import ContentStore
import Foundation
import SyncProtocol
import Testing
@testable import SyncClient

@Suite("Sync state of a folder")
struct SyncStateTests {
    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("followup-sync-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a folder never synced starts at cursor 0 with no files")
    func fresh() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try SyncState.load(from: folder)
        #expect(state.cursor == 0 && state.files.isEmpty && state.client == nil)
    }

    @Test("state survives a save and load, unicode paths and folder entries included")
    func roundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var state = SyncState(client: "acme")
        state.cursor = 42
        state.position.ledgerSequence = 7
        state.files["brand/logo é (final).png"] = .init(
            size: 10, mtimeNanoseconds: 1_700_000_000_123_456_789, inode: 99,
            sha256: SHA256.hash("x"), chunks: [ChunkRef(id: SHA256.hash("x"), length: 10)])
        state.files["brand/empty"] = .init(size: 0, mtimeNanoseconds: 0, inode: 3, sha256: SHA256.hash([]), chunks: [], directory: true)
        try state.save(to: folder)
        #expect(try SyncState.load(from: folder) == state)
        state.cursor = 43
        try state.save(to: folder)
        #expect(try SyncState.loadPosition(from: folder).cursor == 43)
    }

    @Test("a damaged state file is reported, not silently reset")
    func damaged() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/.followup", withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: folder + "/.followup/cursor.json"))
        #expect(throws: SyncError.self) { _ = try SyncState.load(from: folder) }
    }

    @Test("a cursor without its file table is damaged: it would skip changes")
    func cursorWithoutFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var state = SyncState(client: "acme")
        state.cursor = 5
        try state.savePosition(to: folder)
        #expect(throws: SyncError.damagedState(path: SyncState.filesPath(in: folder))) { _ = try SyncState.load(from: folder) }
    }
}

@Suite("The file table written in pieces")
struct SyncStateStreamingTests {
    @Test("files.json is byte for byte what JSONPieces writes for the whole table, across many flushes")
    func sameBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("followup-sync-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var state = SyncState(client: "acme")
        for index in 0..<3000 {
            let id = SHA256.hash(Array("\(index)".utf8))
            state.files["site/d\(index % 7)/fïle \"\(index)\".bin"] = .init(
                size: Int64(index), mtimeNanoseconds: 1_700_000_000_000_000_000 + Int64(index), inode: UInt64(index),
                sha256: id, chunks: [ChunkRef(id: id, length: index)], directory: index % 11 == 0)
        }
        var expected = JSONPieces()
        try expected.object { members in
            try members.member("files") { table in
                try table.object { records in
                    for path in state.files.keys.sorted() { try records.member(path, state.files[path]) }
                }
            }
            try members.member("version", SyncState.currentVersion)
        }
        #expect(expected.bytes.count > 4 * SyncState.flushBytes)
        try state.saveFiles(to: folder)
        #expect(try FileIO.readAll(SyncState.filesPath(in: folder)) == expected.bytes)
        try state.savePosition(to: folder)
        #expect(try SyncState.load(from: folder) == state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/.followup").sorted() == ["cursor.json", "files.json"])

        state.files = [:]
        try state.saveFiles(to: folder)
        #expect(try FileIO.readAll(SyncState.filesPath(in: folder)) == Array(#"{"files":{},"version":2}"#.utf8))
    }

    @Test("the table is read back a batch of records at a time, in any JSON spacing; another shape is decoded whole; a cut one is damaged")
    func readBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("followup-sync-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var state = SyncState(client: "acme")
        state.cursor = 9
        for index in 0..<3000 {
            let id = SHA256.hash(Array("\(index)".utf8))
            state.files["p/\(index % 5)/a\\b \"q\" \u{1F600} {\(index)}.txt"] = .init(
                size: Int64(index), mtimeNanoseconds: -Int64(index), inode: UInt64(index), sha256: id,
                chunks: index % 3 == 0 ? [] : [ChunkRef(id: id, length: index), ChunkRef(id: id, length: 1)], directory: index % 7 == 0)
        }
        try state.save(to: folder)
        let path = SyncState.filesPath(in: folder)
        #expect(try FileIO.readAll(path).count > 2 * FileTableReader.batchBytes)
        #expect(try FileTableReader.load(path)?.files == state.files)
        #expect(try SyncState.load(from: folder) == state)

        struct Table: Encodable {
            var files: [String: SyncState.FileRecord]
            var version: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Table(files: state.files, version: SyncState.currentVersion)).write(to: URL(fileURLWithPath: path))
        #expect(try FileTableReader.load(path)?.files == state.files)
        #expect(try SyncState.load(from: folder) == state)

        // Keys in another order: not the streamed shape, decoded whole.
        try Data(#"{"version":2,"files":{"p/x":{"chunks":[],"directory":true,"inode":1,"mtime_ns":2,"sha256":"\#(SHA256.hash([]).hex)","size":0}}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(try FileTableReader.load(path) == nil)
        #expect(try SyncState.load(from: folder).files.keys.sorted() == ["p/x"])

        try Data(#"{"files":{},"version":2}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try SyncState.load(from: folder).files.isEmpty)

        try state.saveFiles(to: folder)
        let bytes = try FileIO.readAll(path)
        for cut in [12, bytes.count / 2, bytes.count - 3] {
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path))
            #expect(throws: SyncError.damagedState(path: path)) { _ = try SyncState.load(from: folder) }
        }
    }
}

