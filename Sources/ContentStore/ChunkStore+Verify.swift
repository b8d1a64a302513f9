import Foundation

/// What `verify` found. Healthy means every indexed chunk read back intact and
/// every referenced chunk is indexed.
public struct VerifyReport: Sendable, Codable {
    public var packs = 0
    public var chunks = 0
    public var bytes: Int64 = 0
    /// Chunks whose bytes no longer hash to their id.
    public var corrupt: [ChunkID] = []
    /// Chunks referenced by a manifest or indexed, whose bytes cannot be found.
    public var missing: [ChunkID] = []
    /// Packs the index names that are absent or unreadable, with the reason.
    public var badPacks: [String: String] = [:]

    public var isHealthy: Bool { corrupt.isEmpty && missing.isEmpty && badPacks.isEmpty }

    enum CodingKeys: String, CodingKey {
        case packs, chunks, bytes, corrupt, missing
        case badPacks = "bad_packs"
    }
}

extension ChunkStore {
    /// Re-reads and re-hashes every indexed chunk, pack by pack on `concurrency`
    /// cores, and checks that every chunk in `referenced` is indexed.
    public func verify(
        referenced: Set<ChunkID> = [],
        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (_ packsDone: Int, _ packsTotal: Int) -> Void)? = nil
    ) async throws -> VerifyReport {
        // Shared: gc must not delete a pack while it is being read.
        let lock = try lock(.shared, for: "verify")
        defer { withExtendedLifetime(lock) {} }
        let entries = try await index.entries()
        let byPack = Dictionary(grouping: entries, by: \.location.pack)
        let packNames = byPack.keys.sorted()
        var report = VerifyReport()
        report.packs = packNames.count

        try await withThrowingTaskGroup(of: VerifyReport.self) { group in
            var next = 0
            func startNext() {
                guard next < packNames.count else { return }
                let name = packNames[next]
                next += 1
                group.addTask { try await self.verifyPack(name, entries: byPack[name] ?? []) }
            }
            for _ in 0..<max(1, concurrency) { startNext() }
            var done = 0
            while let partial = try await group.next() {
                report.chunks += partial.chunks
                report.bytes += partial.bytes
                report.corrupt += partial.corrupt
                report.missing += partial.missing
                report.badPacks.merge(partial.badPacks) { a, _ in a }
                done += 1
                progress?(done, packNames.count)
                startNext()
            }
        }
        let indexed = Set(entries.map(\.id))
        report.missing += referenced.subtracting(indexed)
        report.corrupt.sort()
        report.missing.sort()
        if !report.isHealthy {
            logger.error("verify found damage", metadata: [
                "corrupt": "\(report.corrupt.count)", "missing": "\(report.missing.count)", "bad_packs": "\(report.badPacks.count)",
            ])
        }
        return report
    }

    private func verifyPack(_ name: String, entries: [IndexEntry]) async throws -> VerifyReport {
        var report = VerifyReport()
        guard try await blobs.info(name) != nil else {
            report.badPacks[name] = "missing"
            report.missing = entries.map(\.id)
            return report
        }
        for entry in entries.sorted(by: { $0.location.offset < $1.location.offset }) {
            try Task.checkCancellation()
            do {
                let bytes = try await blobs.read(name, offset: entry.location.offset, length: entry.location.length)
                report.chunks += 1
                report.bytes += Int64(bytes.count)
                if SHA256.hash(bytes) != entry.id { report.corrupt.append(entry.id) }
            } catch let error as StoreError {
                // A truncated pack: the chunk's bytes are gone.
                report.badPacks[name] = "\(error)"
                report.missing.append(entry.id)
            }
        }
        return report
    }
}
