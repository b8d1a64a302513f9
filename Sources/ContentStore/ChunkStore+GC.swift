import Foundation

public struct GCOptions: Sendable {
    /// Packs, staging files and chunks younger than this are never touched, so
    /// gc cannot race an upload whose chunks are not referenced yet.
    public var grace: Duration
    /// A pack is rewritten when more than this fraction of its bytes is garbage.
    public var repackThreshold: Double
    public var dryRun: Bool

    public init(grace: Duration = .seconds(3600), repackThreshold: Double = 0.5, dryRun: Bool = false) {
        self.grace = grace
        self.repackThreshold = repackThreshold
        self.dryRun = dryRun
    }
}

public struct GCReport: Sendable, Codable {
    public var referencedChunks = 0
    /// Unreferenced chunks dropped from the index.
    public var removedChunks = 0
    public var removedBytes: Int64 = 0
    /// Packs deleted because nothing in them was live.
    public var deletedPacks: [String] = []
    /// Packs rewritten without their garbage, and the packs that replaced them.
    public var repackedPacks: [String] = []
    public var newPacks: [String] = []
    /// Packs on storage that the index does not know (left by a crash), deleted.
    public var orphanPacks: [String] = []
    /// Pack bytes freed on storage.
    public var reclaimedBytes: Int64 = 0
    /// Packs left alone because they are younger than the grace period.
    public var youngPacks = 0
    public var dryRun = false

    enum CodingKeys: String, CodingKey {
        case referencedChunks = "referenced_chunks", removedChunks = "removed_chunks", removedBytes = "removed_bytes"
        case deletedPacks = "deleted_packs", repackedPacks = "repacked_packs", newPacks = "new_packs"
        case orphanPacks = "orphan_packs", reclaimedBytes = "reclaimed_bytes", youngPacks = "young_packs"
        case dryRun = "dry_run"
    }
}

extension ChunkStore {
    /// Mark and sweep: chunks in `referenced` (from the live manifests) are kept,
    /// as is anything younger than the grace period; other chunks are dropped
    /// from the index, packs with nothing live are deleted, packs that are mostly
    /// garbage are rewritten, and orphan packs are deleted.
    ///
    /// Order keeps the store consistent at every step: new packs are durable
    /// before the index points at them; the index stops pointing at a pack (one
    /// transaction) before the pack is deleted.
    public func collectGarbage(referenced: Set<ChunkID>, options: GCOptions = .init(), now: Date = Date()) async throws -> GCReport {
        let lock = try lock(.exclusive, for: "gc")
        defer { withExtendedLifetime(lock) {} }
        let cutoff = now.addingTimeInterval(-options.grace.inSeconds)
        var report = GCReport()
        report.referencedChunks = referenced.count
        report.dryRun = options.dryRun

        let stored = Dictionary(uniqueKeysWithValues: try await blobs.list().map { ($0.name, $0) })
        let indexedPacks = try await index.packs()
        let entriesByPack = Dictionary(grouping: try await index.entries(), by: \.location.pack)
        let indexedNames = Set(indexedPacks.map(\.name))

        // Orphans: durable packs whose index commit never happened.
        for (name, info) in stored where !indexedNames.contains(name) && info.modified < cutoff {
            report.orphanPacks.append(name)
            report.reclaimedBytes += info.size
        }

        var change = IndexChange()
        change.relocate = true
        var toRepack: [(PackRecord, [IndexEntry])] = []
        for pack in indexedPacks {
            guard let info = stored[pack.name] else { continue } // missing: verify's business
            guard info.modified < cutoff else { report.youngPacks += 1; continue }
            let entries = entriesByPack[pack.name] ?? []
            let (live, garbage) = entries.partitioned { referenced.contains($0.id) || $0.lastUsed >= cutoff }
            let garbageBytes = garbage.reduce(Int64(0)) { $0 + Int64($1.location.length) }
            report.removedChunks += garbage.count
            report.removedBytes += garbageBytes
            if live.isEmpty {
                change.removedPacks.append(pack.name)
                report.deletedPacks.append(pack.name)
                report.reclaimedBytes += info.size
                continue
            }
            let liveBytes = live.reduce(Int64(0)) { $0 + Int64($1.location.length) }
            let dataBytes = max(1, info.size - Int64(PackFormat.header.count + PackFormat.trailerSize + pack.chunkCount * PackFormat.entrySize))
            if 1 - Double(liveBytes) / Double(dataBytes) > options.repackThreshold {
                toRepack.append((pack, live))
                change.removedPacks.append(pack.name)
                report.repackedPacks.append(pack.name)
                report.reclaimedBytes += info.size
            } else {
                change.removedChunks += garbage.map(\.id)
            }
        }

        if options.dryRun { return report }

        var writer: PackWriter?
        do {
            for (pack, live) in toRepack {
                for entry in live.sorted(by: { $0.location.offset < $1.location.offset }) {
                    let bytes = try await blobs.read(pack.name, offset: entry.location.offset, length: entry.location.length)
                    // Never carry corruption into a new pack: stop and let verify report it.
                    guard SHA256.hash(bytes) == entry.id else { throw StoreError.chunkCorrupt(entry.id) }
                    if writer == nil { writer = try PackWriter(stagingDirectory: staging) }
                    try bytes.withUnsafeBytes { try writer!.append(entry.id, $0) }
                    if writer!.size >= Int64(configuration.packSize) {
                        change.addedPacks.append(try await sealForRepack(writer!))
                        writer = nil
                    }
                }
            }
            if let last = writer {
                change.addedPacks.append(try await sealForRepack(last))
                writer = nil
            }
        } catch {
            writer?.abandon()
            throw error
        }
        report.newPacks = change.addedPacks.map(\.pack.name)
        report.reclaimedBytes -= change.addedPacks.reduce(Int64(0)) { $0 + $1.pack.size }

        try await index.apply(change, at: now)
        for name in change.removedPacks + report.orphanPacks {
            try await blobs.delete(name)
        }
        try removeStaleStagingFiles(olderThan: cutoff)
        logger.notice("gc finished", metadata: [
            "removed_chunks": "\(report.removedChunks)", "deleted_packs": "\(report.deletedPacks.count)",
            "repacked_packs": "\(report.repackedPacks.count)", "orphan_packs": "\(report.orphanPacks.count)",
        ])
        return report
    }

    private func sealForRepack(_ writer: PackWriter) async throws -> (pack: PackRecord, entries: [PackFormat.Entry]) {
        let record = try writer.finish()
        try await blobs.put(record.name, movingFile: writer.path)
        return (record, writer.entries)
    }

    /// Packs abandoned mid-write by a crashed process.
    private func removeStaleStagingFiles(olderThan cutoff: Date) throws {
        for name in try FileIO.list(staging) {
            let path = staging + "/" + name
            guard let st = try? FileIO.status(path), Double(st.st_mtim.tv_sec) < cutoff.timeIntervalSince1970 else { continue }
            try FileIO.unlink(path)
        }
    }
}

extension Array {
    /// Elements satisfying `belongs` first, the rest second, each in order.
    func partitioned(_ belongs: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = [], no: [Element] = []
        for element in self {
            if belongs(element) { yes.append(element) } else { no.append(element) }
        }
        return (yes, no)
    }
}
