import ContentStore
import Foundation
import Testing
@testable import Catalog

@Suite("Catalog: change feed")
struct ChangeFeedTests {
    @Test("each project creation is one feed event, numbered 1, 2, 3")
    func projectEvents() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        #expect(try await catalog.latestChangeSequence(client: "acme") == 0)
        let time = Date(timeIntervalSince1970: 1_790_000_000)
        for (slug, title) in [("one", "First"), ("two", "Say \"hi\" / ciao"), ("three", "Third")] {
            _ = try await catalog.createProject(client: "acme", slug: slug, title: title, at: time)
        }
        let page = try await catalog.changes(client: "acme", since: 0, limit: 100)
        #expect(page.events.map(\.seq) == [1, 2, 3])
        #expect(page.events.map(\.project) == ["one", "two", "three"])
        #expect(page.events.allSatisfy { $0.kind == "project.state" && $0.path == nil && $0.client == "acme" && $0.created == time })
        #expect(page.events[0].data == #"{"state":"created","title":"First"}"#)
        // The data is JSON, whatever the title holds.
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(page.events[1].data.utf8))
        #expect(decoded == ["state": "created", "title": "Say \"hi\" / ciao"])
        #expect(page.next == 3 && !page.more)
        #expect(try await catalog.latestChangeSequence(client: "acme") == 3)
        await catalog.close()
    }

    @Test("paging: next is the last seq returned, more says whether rows follow")
    func paging() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        for index in 1...5 { _ = try await catalog.createProject(client: "acme", slug: "p\(index)", title: "P\(index)") }

        let first = try await catalog.changes(client: "acme", since: 0, limit: 2)
        #expect(first.events.map(\.seq) == [1, 2] && first.next == 2 && first.more)
        let second = try await catalog.changes(client: "acme", since: first.next, limit: 2)
        #expect(second.events.map(\.seq) == [3, 4] && second.next == 4 && second.more)
        let third = try await catalog.changes(client: "acme", since: second.next, limit: 2)
        #expect(third.events.map(\.seq) == [5] && third.next == 5 && !third.more)
        // Exactly at the end: a full page with nothing after it.
        let exact = try await catalog.changes(client: "acme", since: 3, limit: 2)
        #expect(exact.events.map(\.seq) == [4, 5] && exact.next == 5 && !exact.more)
        // At or beyond the end: nothing, and the cursor stays where it was.
        let atEnd = try await catalog.changes(client: "acme", since: 5, limit: 2)
        #expect(atEnd == ChangePage(events: [], next: 5, more: false))
        let beyond = try await catalog.changes(client: "acme", since: 42, limit: 2)
        #expect(beyond == ChangePage(events: [], next: 42, more: false))

        // limit 1 walks the feed one event at a time.
        var cursor: Int64 = 0
        var seen: [Int64] = []
        var more = true
        while more {
            let page = try await catalog.changes(client: "acme", since: cursor, limit: 1)
            seen += page.events.map(\.seq)
            cursor = page.next
            more = page.more
        }
        #expect(seen == [1, 2, 3, 4, 5] && cursor == 5)
        await catalog.close()
    }

    @Test("an unknown client, a negative cursor or a bad limit is refused")
    func refusals() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        await #expect(throws: CatalogError.notFound("no client nobody")) { _ = try await catalog.changes(client: "nobody", since: 0, limit: 10) }
        await #expect(throws: CatalogError.notFound("no client nobody")) { _ = try await catalog.latestChangeSequence(client: "nobody") }
        await #expect(throws: CatalogError.self) { _ = try await catalog.changes(client: "acme", since: -1, limit: 10) }
        await #expect(throws: CatalogError.self) { _ = try await catalog.changes(client: "acme", since: 0, limit: 0) }
        #expect(try await catalog.changes(client: "acme", since: 0, limit: 10) == ChangePage(events: [], next: 0, more: false))
        await catalog.close()
    }

    @Test("20 concurrent writers on one client get exactly 1...20")
    func concurrentWriters() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1...20 {
                group.addTask { _ = try await catalog.createProject(client: "acme", slug: "p\(index)", title: "P\(index)") }
            }
            try await group.waitForAll()
        }
        let page = try await catalog.changes(client: "acme", since: 0, limit: 100)
        #expect(page.events.map(\.seq) == Array(1...20))
        #expect(Set(page.events.compactMap(\.project)) == Set((1...20).map { "p\($0)" }))
        #expect(try await catalog.latestChangeSequence(client: "acme") == 20)
        await catalog.close()
    }

    @Test("two connections to one file (as two processes) still number the feed without gaps")
    func twoConnections() async throws {
        let directory = try TemporaryDirectory()
        let first = try await openCatalog(directory)
        let second = try await openCatalog(directory)
        // Closed on every path: an unclosed connection would crash the run instead of failing this test.
        do {
            _ = try await first.createClient(slug: "acme", name: "Acme")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...20 {
                    let catalog = index.isMultiple(of: 2) ? first : second
                    group.addTask { _ = try await catalog.createProject(client: "acme", slug: "p\(index)", title: "P\(index)") }
                }
                try await group.waitForAll()
            }
            #expect(try await second.changes(client: "acme", since: 0, limit: 100).events.map(\.seq) == Array(1...20))
            #expect(try await first.latestChangeSequence(client: "acme") == 20)
        } catch {
            await first.close()
            await second.close()
            throw error
        }
        await first.close()
        await second.close()
    }

    @Test("each client has its own sequence")
    func independentClients() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        _ = try await catalog.createClient(slug: "zeta", name: "Zeta")
        for (client, slug) in [("acme", "a1"), ("zeta", "z1"), ("acme", "a2"), ("zeta", "z2"), ("zeta", "z3")] {
            _ = try await catalog.createProject(client: client, slug: slug, title: slug)
        }
        let acme = try await catalog.changes(client: "acme", since: 0, limit: 10).events
        let zeta = try await catalog.changes(client: "zeta", since: 0, limit: 10).events
        #expect(acme.map(\.seq) == [1, 2] && acme.map(\.project) == ["a1", "a2"])
        #expect(zeta.map(\.seq) == [1, 2, 3] && zeta.map(\.project) == ["z1", "z2", "z3"])
        await catalog.close()
    }

    @Test("a rolled-back change gives its number back: no gap")
    func rollbackLeavesNoGap() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        let first = try await catalog.transaction { db in
            try await Catalog.appendChange(db, client: "acme", kind: "ticket.state", project: nil, path: nil, data: "{}", at: 100)
        }
        await #expect(throws: CatalogError.invalid("abandoned")) {
            try await catalog.transaction { db in
                _ = try await Catalog.appendChange(db, client: "acme", kind: "ticket.state", project: nil, path: nil, data: "{}", at: 101)
                throw CatalogError.invalid("abandoned")
            }
        }
        let second = try await catalog.transaction { db in
            try await Catalog.appendChange(db, client: "acme", kind: "ledger.entry", project: "x", path: nil, data: #"{"minutes":30}"#, at: 102)
        }
        #expect([first, second] == [1, 2])
        let events = try await catalog.changes(client: "acme", since: 0, limit: 10).events
        #expect(events.map(\.kind) == ["ticket.state", "ledger.entry"])
        #expect(events.map(\.data) == ["{}", #"{"minutes":30}"#])
        await #expect(throws: CatalogError.notFound("no client nobody")) {
            _ = try await catalog.transaction { db in
                try await Catalog.appendChange(db, client: "nobody", kind: "ticket.state", project: nil, path: nil, data: "{}", at: 100)
            }
        }
        await catalog.close()
    }
}

@Suite("Catalog: file versions")
struct FileVersionTests {
    func manifest(_ name: String, _ chunks: [String]) -> Manifest {
        Manifest(size: Int64(chunks.count * 10), fileHash: id(name), chunks: chunks.map { ChunkRef(id: id($0), length: 10) })
    }

    @Test("versions count up per path; latestFiles shows the newest non-deleted ones; gc sees every version's chunks")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        _ = try await catalog.createProject(client: "acme", slug: "site", title: "Site", phases: ["Design"])  // seq 1
        let logo1 = manifest("logo v1", ["a", "b"])
        let logo2 = manifest("logo v2", ["a", "c"])
        let empty = Manifest(size: 0, fileHash: id(""), chunks: [])
        let written = try await catalog.transaction { db in
            [
                try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "img/logo.svg", manifest: logo1,
                                                    mtimeNs: 1_700_000_000_123_456_789, phase: "Design", authorToken: 7, at: 1000),
                try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "notes.txt", manifest: manifest("notes", ["d"]), at: 1000),
                try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "empty.txt", manifest: empty, mode: 0o600, at: 1000),
            ]
        }
        #expect(written.map(\.version) == [1, 1, 1])
        #expect(written.map(\.seq) == [2, 3, 4])
        let logo2Version = try await catalog.transaction { db in
            try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "img/logo.svg", manifest: logo2, at: 2000)
        }
        let tombstone = try await catalog.transaction { db in
            try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "notes.txt", manifest: nil, at: 2000)
        }
        #expect(logo2Version.version == 2 && logo2Version.seq == 5)
        #expect(tombstone.version == 2 && tombstone.deleted && tombstone.manifest == nil && tombstone.size == 0 && tombstone.seq == 6)

        let latest = try await catalog.latestFiles(client: "acme", project: "site")
        #expect(latest == [written[2], logo2Version])
        #expect(latest[0].manifest == empty && latest[0].mode == 0o600)
        #expect(written[0].mtimeNs == 1_700_000_000_123_456_789 && written[0].phase == "Design" && written[0].authorToken == 7)

        // History stays live for gc: v1's "b" and the deleted file's "d" are still marked.
        #expect(try await catalog.fileVersionChunkIDs() == Set(["a", "b", "c", "d"].map(id)))

        let events = try await catalog.changes(client: "acme", since: 1, limit: 10).events
        #expect(events.map(\.kind) == ["file.put", "file.put", "file.put", "file.put", "file.delete"])
        #expect(events.map(\.path) == ["img/logo.svg", "notes.txt", "empty.txt", "img/logo.svg", "notes.txt"])
        #expect(events[3].data == #"{"sha256":"\#(id("logo v2").hex)","size":20,"version":2}"#)
        #expect(events[4].data == #"{"version":2}"#)
        await catalog.close()
    }

    @Test("a file version needs its project and phase; only an existing file can be deleted")
    func refusals() async throws {
        let directory = try TemporaryDirectory()
        let catalog = try await openCatalog(directory)
        _ = try await catalog.createClient(slug: "acme", name: "Acme")
        _ = try await catalog.createProject(client: "acme", slug: "site", title: "Site")
        let file = manifest("f", ["x"])
        await #expect(throws: CatalogError.notFound("no project acme/nope")) {
            _ = try await catalog.transaction { db in
                try await Catalog.insertFileVersion(db, client: "acme", project: "nope", path: "a", manifest: file, at: 1)
            }
        }
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.transaction { db in
                try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "a", manifest: file, phase: "Nope", at: 1)
            }
        }
        await #expect(throws: CatalogError.notFound("no file a in acme/site")) {
            _ = try await catalog.transaction { db in
                try await Catalog.insertFileVersion(db, client: "acme", project: "site", path: "a", manifest: nil, at: 1)
            }
        }
        #expect(try await catalog.latestFiles(client: "acme", project: "site").isEmpty)
        #expect(try await catalog.latestChangeSequence(client: "acme") == 1)
        #expect(try await catalog.fileVersionChunkIDs().isEmpty)
        await catalog.close()
    }
}
