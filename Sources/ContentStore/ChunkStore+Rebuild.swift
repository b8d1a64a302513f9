import Foundation

public struct RebuildReport: Sendable, Codable {
    public var packs = 0
    public var chunks = 0
    /// Packs whose own index could not be read, with the reason; their chunks are not indexed.
    public var unreadablePacks: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case packs, chunks
        case unreadablePacks = "unreadable_packs"
    }
}

extension ChunkStore {
    /// Rebuilds the chunk index from the packs' own indexes, replacing it in one
    /// transaction. Holds the store's lock exclusively.
    public func rebuildIndex() async throws -> RebuildReport {
        let lock = try lock(.exclusive, for: "the index rebuild")
        defer { withExtendedLifetime(lock) {} }
        var report = RebuildReport()
        var packs: [(pack: PackRecord, entries: [PackFormat.Entry])] = []
        for info in try await blobs.list() {
            do {
                let entries = try await PackFormat.readEntries(of: info, from: blobs)
                packs.append((PackRecord(name: info.name, size: info.size, chunkCount: entries.count), entries))
                report.chunks += entries.count
            } catch let error as StoreError {
                report.unreadablePacks[info.name] = "\(error)"
            }
        }
        report.packs = packs.count
        try await index.replaceAll(with: packs, at: Date())
        logger.notice("chunk index rebuilt", metadata: ["packs": "\(report.packs)", "chunks": "\(report.chunks)"])
        return report
    }
}
