import ArchiveIO
import Catalog
import ContentStore
import Foundation
import HTTPTypes
import Hummingbird
import SyncProtocol

/// `GET /v1/clients/{c}/export.tar[?project=p&at=N]`: the client's current files (or one
/// project's), or those at change-feed position N, as a pax tar streamed while it is
/// written: `LEDGER.csv` and `followup-manifest.json` first, then `<project>/<path>` for
/// every file and empty folder. A client token exports only its own client.
struct ExportController {
    let storage: Storage

    /// Bytes gathered before they are sent on: a few tar blocks, not a whole file. The
    /// buffer stays under glibc's mmap threshold (`MallocTuning`), so each one is reused
    /// memory rather than a fresh mapping faulted in page by page (a tenth of the export).
    static let flushBytes = 512 << 10
    /// Chunk locations looked up at once (a few hundred KiB of memory).
    static let lookupChunks = 4096
    /// Files per catalog query: an export holds one page of versions at a time.
    static let pageSize = 1000

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("export.tar", use: export)
    }

    @Sendable func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = try context.accessibleClient()
        let catalog = storage.catalog
        let latest = try await catalog.latestChangeSequence(client: client)
        let position: Int64
        if let text = request.uri.queryParameters["at"] {
            guard let value = Int64(String(text)), value >= 0 else { throw APIError.badRequest("at is a change-feed position ≥ 0") }
            guard value <= latest else { throw APIError.badRequest("position \(value) is ahead of the feed (at \(latest))") }
            position = value
        } else {
            position = latest
        }
        let projects: [String]
        if let project = request.uri.queryParameters["project"].map(String.init) {
            guard try await catalog.project(client: client, slug: project) != nil else {
                throw APIError.notFound("no project \(client)/\(project)")
            }
            projects = [project]
        } else {
            projects = try await catalog.projects(client: client).map(\.slug).sorted()
        }

        let entries = try await catalog.changes(client: client, kind: ChangeEvent.Kind.ledgerEntry.rawValue, through: position)
            .compactMap(Self.ledgerEntry)
            .filter { projects.contains($0.project) }
        // First pass: the manifest and the content size, a page of files at a time, so an
        // export of 100,000 files never holds them all. The second pass, in the body, reads
        // the same pages again: both are as of `position`, which later commits cannot change.
        // The manifest goes first in the tar, so its size must be known: it is kept on disk
        // as it is written, not in memory.
        let spool = try SpoolFile(in: storage.store.stagingDirectory)
        var manifest = try ExportManifest.Writer(client: client)
        var contentBytes: Int64 = 0
        for project in projects {
            try await Self.forEachPage(of: catalog, client: client, project: project, at: position) { page in
                for version in page {
                    contentBytes += version.size
                    try manifest.add(ExportedFile(
                        project: project, path: version.path, version: version.version, size: version.size, mode: version.mode,
                        mtimeNs: version.mtimeNs, sha256: ChunkDigest(words: (version.manifest?.fileHash ?? SHA256.hash([])).words),
                        phase: version.phase, hourEntry: version.hourEntry))
                }
                if manifest.pendingBytes >= Self.flushBytes { try spool.append(manifest.takeBytes()) }
            }
        }
        try spool.append(try manifest.finish(projects: projects, position: position, hourEntries: entries))
        let ledgerBytes = Array(LedgerCSV.render(entries).utf8)
        let store = storage.store
        let now = Int64(Date().timeIntervalSince1970)
        let name = projects.count == 1 && request.uri.queryParameters["project"] != nil ? "\(client)-\(projects[0])" : client

        return Response(
            status: .ok,
            headers: [
                .contentType: "application/x-tar",
                .contentDisposition: "attachment; filename=\"\(name).tar\"",
                HTTPField.Name("X-Followup-Position")!: "\(position)",
                HTTPField.Name("X-Followup-Content-Bytes")!: "\(contentBytes)",
            ],
            body: ResponseBody { writer in
                // The tar is appended straight into the buffer sent next (no copy in between).
                // Room for a chunk beyond the flush size, so that the buffer never grows.
                let pending = PendingBuffer(capacity: Self.flushBytes + storage.store.configuration.chunker.maxSize + (64 << 10))
                let output = TarOutput { pending.append($0) }
                var tar = try TarWriter(output: output)
                try tar.beginFile(path: LedgerFolderName.csv, size: Int64(ledgerBytes.count), mtime: now)
                try tar.writeData(ledgerBytes)
                try tar.endFile()
                // In sends of flushBytes: the manifest of 100,000 files is tens of MB.
                try tar.beginFile(path: ExportManifest.fileName, size: spool.size, mtime: now)
                try await spool.forEachPiece(of: Self.flushBytes) { piece in
                    try tar.writeData(piece)
                    try await pending.send(to: &writer, atLeast: Self.flushBytes)
                }
                try tar.endFile()
                for project in projects {
                    try await Self.forEachPage(of: catalog, client: client, project: project, at: position) { page in
                        var locations: [ChunkID: ChunkLocation] = [:]
                        var lookedUpTo = 0
                        for (index, version) in page.enumerated() {
                            // One index query for the chunks of the next files, not one per file.
                            if index == lookedUpTo {
                                var ids: [ChunkID] = []
                                while lookedUpTo < page.count && ids.count < Self.lookupChunks {
                                    // A file of more chunks than that is looked up on its own, below.
                                    let chunks = page[lookedUpTo].manifest?.chunks ?? []
                                    if chunks.count <= Self.lookupChunks { ids += chunks.map(\.id) }
                                    lookedUpTo += 1
                                }
                                locations = try await store.index.locations(of: ids)
                            }
                            let path = project + "/" + version.path
                            let mtime = version.mtimeNs / 1_000_000_000
                            guard let content = version.manifest, !CommitFile.isDirectory(mode: version.mode) else {
                                try tar.addDirectory(path: path, mode: UInt16(version.mode & 0o7777), mtime: mtime)
                                continue
                            }
                            try tar.beginFile(path: path, size: version.size, mode: UInt16(version.mode & 0o7777), mtime: mtime)
                            // Not re-hashed here, as for a fetch: the manifest gives every file's
                            // SHA-256 to check against, and `followup verify` checks the packs.
                            let ids = content.chunks.map(\.id)
                            // A large file's chunks are looked up a slice at a time: 65,536
                            // locations of a 4 GiB file at once cost tens of MB.
                            for start in stride(from: 0, to: ids.count, by: Self.lookupChunks) {
                                let slice = Array(ids[start..<min(start + Self.lookupChunks, ids.count)])
                                let known = ids.count <= Self.lookupChunks ? locations : try await store.index.locations(of: slice)
                                for try await (_, bytes) in store.contents(of: slice, verify: false, locations: known) {
                                    try tar.writeData(bytes)
                                    try await pending.send(to: &writer, atLeast: Self.flushBytes)
                                }
                            }
                            try tar.endFile()
                        }
                    }
                }
                try tar.finish()
                try await pending.send(to: &writer, atLeast: 1)
                try await writer.finish(nil)
                MemoryRelease.afterRequest(ofSize: Int(spool.size))
            })
    }

    /// Calls `body` with the live files of a project as of `position`, a page at a time, in
    /// path order.
    static func forEachPage(
        of catalog: Catalog, client: String, project: String, at position: Int64,
        _ body: ([FileVersion]) async throws -> Void
    ) async throws {
        var after: String?
        while true {
            let page = try await catalog.liveFiles(client: client, project: project, at: position, after: after, limit: pageSize)
            if !page.isEmpty { try await body(page) }
            guard page.count == pageSize, let last = page.last else { return }
            after = last.path
        }
    }

    static func ledgerEntry(_ record: ChangeRecord) -> LedgerEntryInfo? {
        guard let data = try? JSONDecoder().decode(JSONValue.self, from: Data(record.data.utf8)) else { return nil }
        return LedgerEntryInfo(ChangeEvent(
            seq: record.seq, kind: .ledgerEntry, project: record.project, path: record.path,
            time: Int64(record.created.timeIntervalSince1970), data: data))
    }
}

/// The names of the ledger files in a client's folder and in an export.
enum LedgerFolderName {
    static let csv = "LEDGER.csv"
}
