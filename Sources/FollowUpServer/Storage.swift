import Catalog
import ContentStore
import Foundation
import Logging

/// A storage directory opened for work: the catalog database and the chunk
/// store over it. Every server-side command goes through here.
public final class Storage: Sendable {
    public let configuration: FollowUpConfiguration
    public let catalog: Catalog
    public let store: ChunkStore
    let logger: Logger

    private init(configuration: FollowUpConfiguration, catalog: Catalog, store: ChunkStore, logger: Logger) {
        self.configuration = configuration
        self.catalog = catalog
        self.store = store
        self.logger = logger
    }

    /// The SQLite catalog file for a configuration.
    static func databasePath(_ configuration: FollowUpConfiguration) throws -> String {
        guard let url = configuration.databaseURL else { return configuration.storagePath + "/catalog.sqlite" }
        if url.hasPrefix("sqlite://") { return String(url.dropFirst("sqlite://".count)) }
        throw ConfigurationError.invalid(key: "storage.database", reason: "only sqlite:// catalogs are supported in this version")
    }

    public static func isInitialized(_ configuration: FollowUpConfiguration) -> Bool {
        ChunkStore.exists(at: configuration.storagePath)
    }

    /// Creates a new storage directory and its first admin token. The secret is
    /// returned once and stored only as its SHA-256.
    public static func initialize(_ configuration: FollowUpConfiguration, logger: Logger) async throws -> (storage: Storage, adminToken: String) {
        guard !isInitialized(configuration) else { throw StoreError.alreadyInitialized(path: configuration.storagePath) }
        try FileManager.default.createDirectory(atPath: configuration.storagePath, withIntermediateDirectories: true)
        let catalog = try await Catalog.open(path: try databasePath(configuration), logger: logger)
        do {
            let store = try ChunkStore.create(
                at: configuration.storagePath,
                configuration: StoreConfiguration(chunker: configuration.chunking, packSize: configuration.packSize),
                index: catalog, logger: logger)
            let (_, secret) = try await catalog.createToken(name: "first admin", role: .admin)
            logger.notice("storage initialised", metadata: ["storage": "\(configuration.storagePath)"])
            return (Storage(configuration: configuration, catalog: catalog, store: store, logger: logger), secret)
        } catch {
            await catalog.close()
            throw error
        }
    }

    /// Opens an initialised storage directory.
    public static func open(_ configuration: FollowUpConfiguration, logger: Logger) async throws -> Storage {
        guard isInitialized(configuration) else { throw StoreError.notInitialized(path: configuration.storagePath) }
        let catalog = try await Catalog.open(path: try databasePath(configuration), logger: logger)
        do {
            let store = try ChunkStore.open(at: configuration.storagePath, index: catalog, chunker: configuration.chunking, logger: logger)
            return Storage(configuration: configuration, catalog: catalog, store: store, logger: logger)
        } catch {
            await catalog.close()
            throw error
        }
    }

    public func close() async {
        await catalog.close()
    }

    /// Ingests a folder into the store and records it as a snapshot.
    public func ingest(
        directory: String, progress: (@Sendable (IngestProgress) -> Void)? = nil
    ) async throws -> (snapshot: Int64, summary: IngestSummary, skipped: [String]) {
        let (files, scan, summary) = try await store.ingest(directory: directory, progress: progress)
        let snapshot = try await catalog.recordSnapshot(source: directory, files: files)
        return (snapshot, summary, scan.skipped)
    }

    /// Re-hashes every chunk and checks every manifest's chunks are indexed.
    public func verify(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> VerifyReport {
        try await store.verify(referenced: try await liveChunkIDs(), progress: progress)
    }

    /// Every client's ledger hash chain, from genesis to its recorded head: the
    /// first broken link per client (empty when all chains hold).
    public func verifyLedgerChains() async throws -> [String: String] {
        try await catalog.verifyLedgerChains().mapValues { "\($0.problem) at entry \($0.sequence.map(String.init) ?? "#\($0.position)")" }
    }

    /// The gc mark set: chunks of every snapshot file and every file version (all versions: history is kept).
    func liveChunkIDs() async throws -> Set<ChunkID> {
        try await catalog.referencedChunkIDs().union(try await catalog.fileVersionChunkIDs())
    }

    /// Collects garbage against the live manifests. `now` is for tests that age the store.
    public func collectGarbage(dryRun: Bool, grace: Duration? = nil, now: Date = Date()) async throws -> GCReport {
        let options = GCOptions(
            grace: grace ?? configuration.gcGrace,
            repackThreshold: Double(configuration.repackThresholdPercent) / 100,
            dryRun: dryRun)
        return try await store.collectGarbage(referenced: try await liveChunkIDs(), options: options, now: now)
    }

    public func rebuildIndex() async throws -> RebuildReport {
        try await store.rebuildIndex()
    }
}
