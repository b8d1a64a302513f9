import Foundation
import Logging

/// The content-addressed store: chunks in packs behind a `BlobStore`, located
/// through a `ChunkIndex`.
///
/// On disk, under `root`:
///
///     store.json   the chunking parameters and format, fixed at creation
///     packs/ab/…   pack files (`LocalBlobStore`)
///     tmp/         packs being written
///     lock         flock: shared while adding data, exclusive for gc and rebuilds
///
/// Invariant: an index row is committed only after its pack is durable, so a
/// crash leaves at most an orphan pack (collected by gc), never a row pointing
/// at missing bytes.
public final class ChunkStore: Sendable {
    public let root: String
    public let configuration: StoreConfiguration
    public let chunker: Chunker
    public let blobs: any BlobStore
    public let index: any ChunkIndex
    let staging: String
    let logger: Logger

    private init(root: String, configuration: StoreConfiguration, blobs: any BlobStore, index: any ChunkIndex, logger: Logger) throws {
        self.root = root
        self.configuration = configuration
        chunker = try Chunker(configuration.chunker)
        self.blobs = blobs
        self.index = index
        staging = root + "/tmp"
        var logger = logger
        logger[metadataKey: "store"] = "\(root)"
        self.logger = logger
    }

    static func configurationPath(_ root: String) -> String { root + "/store.json" }

    /// True if `root` holds a store.
    public static func exists(at root: String) -> Bool {
        FileIO.exists(configurationPath(root))
    }

    /// Creates a new store in `root` (created if needed; must not hold a store).
    public static func create(
        at root: String, configuration: StoreConfiguration = .init(), index: any ChunkIndex,
        blobs: (any BlobStore)? = nil, logger: Logger
    ) throws -> ChunkStore {
        try configuration.checkCompatible(requested: nil)
        guard !exists(at: root) else { throw StoreError.alreadyInitialized(path: root) }
        try FileIO.makeDirectories(root + "/tmp")
        let blobs: any BlobStore = if let blobs { blobs } else { try LocalBlobStore(root: root + "/packs") }
        try configuration.save(to: configurationPath(root))
        return try ChunkStore(root: root, configuration: configuration, blobs: blobs, index: index, logger: logger)
    }

    /// Opens the store in `root`. If `chunker` is given (from configuration), it
    /// must equal what the store was created with.
    public static func open(
        at root: String, index: any ChunkIndex, chunker requested: ChunkerParameters? = nil,
        blobs: (any BlobStore)? = nil, logger: Logger
    ) throws -> ChunkStore {
        guard exists(at: root) else { throw StoreError.notInitialized(path: root) }
        let configuration = try StoreConfiguration.load(from: configurationPath(root))
        try configuration.checkCompatible(requested: requested)
        try FileIO.makeDirectories(root + "/tmp")
        let blobs: any BlobStore = if let blobs { blobs } else { try LocalBlobStore(root: root + "/packs") }
        return try ChunkStore(root: root, configuration: configuration, blobs: blobs, index: index, logger: logger)
    }

    /// Holds the store's lock shared while the result lives: packs stay as they are (gc
    /// and index rebuilds wait), writers may add. For a backup reading every pack.
    public func sharedLock(for purpose: String) throws -> StoreLock {
        try lock(.shared, for: purpose)
    }

    /// The store's staging directory (same file system as the packs).
    public var stagingDirectory: String { staging }

    func lock(_ mode: StoreLock.Mode, for purpose: String) throws -> StoreLock {
        try StoreLock(root: root, mode: mode, purpose: purpose)
    }

    /// A session that stores new chunks into packs; see `ChunkWriteSession`.
    public func writeSession() async throws -> ChunkWriteSession {
        try await ChunkWriteSession(store: self)
    }

    /// The bytes of a chunk, checked against its id.
    public func read(_ id: ChunkID) async throws -> [UInt8] {
        guard let location = try await index.location(of: id) else { throw StoreError.chunkNotFound(id) }
        return try await read(id, at: location)
    }

    /// Hands each of `ids`, in order, to `body` (see ``contents(of:verify:)``).
    public func read(_ ids: [ChunkID], verify: Bool = true, each body: (ChunkID, [UInt8]) async throws -> Void) async throws {
        var chunks = contents(of: ids, verify: verify).makeAsyncIterator()
        while let (id, bytes) = try await chunks.next() { try await body(id, bytes) }
    }

    /// The chunks `ids`, in order, read as they are iterated: the index is asked once per
    /// few hundred ids rather than once per chunk, and memory holds one chunk at a time.
    /// With `verify` false the bytes are not re-hashed: for a reader that checks them
    /// itself (a pull checks every file's SHA-256 before using it), which halves the
    /// server's CPU per byte sent.
    public func contents(of ids: [ChunkID], verify: Bool = true) -> ChunkContents {
        ChunkContents(store: self, ids: ids, verify: verify, known: [:])
    }

    /// As ``contents(of:verify:)``, with the locations already looked up (for many small
    /// files, one index query for a group of them rather than one per file).
    public func contents(of ids: [ChunkID], verify: Bool = true, locations: [ChunkID: ChunkLocation]) -> ChunkContents {
        ChunkContents(store: self, ids: ids, verify: verify, known: locations)
    }

    func read(_ id: ChunkID, at location: ChunkLocation, verify: Bool, from reader: any BlobRangeReader) async throws -> [UInt8] {
        let bytes = try await reader.read(location.pack, offset: location.offset, length: location.length)
        return verify ? try check(bytes, id, at: location) : bytes
    }

    private func read(_ id: ChunkID, at location: ChunkLocation) async throws -> [UInt8] {
        try check(try await blobs.read(location.pack, offset: location.offset, length: location.length), id, at: location)
    }

    private func check(_ bytes: [UInt8], _ id: ChunkID, at location: ChunkLocation) throws -> [UInt8] {
        guard SHA256.hash(bytes) == id else {
            logger.error("chunk failed its hash check", metadata: ["chunk": "\(id)", "pack": "\(location.pack)"])
            throw StoreError.chunkCorrupt(id)
        }
        return bytes
    }

    /// Stores in-memory data as chunks and returns its manifest (small payloads and tests).
    public func put(_ data: [UInt8]) async throws -> Manifest {
        let session = try await writeSession()
        let fileHash = SHA256()
        var refs: [ChunkRef] = []
        let ranges = data.withUnsafeBytes { chunker.chunks(of: $0) }
        for range in ranges {
            let chunk = Array(data[range])
            let id = SHA256.hash(chunk)
            fileHash.update(chunk)
            try await session.put(chunk, id: id)
            refs.append(ChunkRef(id: id, length: chunk.count))
        }
        try await session.finish()
        return Manifest(size: Int64(data.count), fileHash: fileHash.finalize(), chunks: refs)
    }

    /// Reassembles a manifest's content in memory, checking every chunk and the whole-file hash.
    public func contents(of manifest: Manifest) async throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(manifest.size))
        for chunk in manifest.chunks {
            out += try await read(chunk.id)
        }
        guard SHA256.hash(out) == manifest.fileHash else {
            throw StoreError.packCorrupt(pack: "(manifest)", reason: "reassembled content does not match the file hash")
        }
        return out
    }
}

/// See ``ChunkStore/contents(of:verify:)``.
public struct ChunkContents: AsyncSequence, Sendable {
    public typealias Element = (ChunkID, [UInt8])

    let store: ChunkStore
    let ids: [ChunkID]
    let verify: Bool
    let known: [ChunkID: ChunkLocation]
    static let batch = 512

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, ids: ids, verify: verify, known: known)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let store: ChunkStore
        let ids: [ChunkID]
        let verify: Bool
        private var position = 0
        private var batchEnd = 0
        private var locations: [ChunkID: ChunkLocation]
        /// Whether `locations` came with the sequence and covers every id.
        private let prefetched: Bool
        /// Consecutive chunks are mostly in the same pack: it stays open between them.
        private let reader: any BlobRangeReader

        init(store: ChunkStore, ids: [ChunkID], verify: Bool, known: [ChunkID: ChunkLocation]) {
            self.store = store
            self.ids = ids
            self.verify = verify
            locations = known
            prefetched = !known.isEmpty && ids.allSatisfy { known[$0] != nil }
            reader = store.blobs.rangeReader()
        }

        public mutating func next() async throws -> (ChunkID, [UInt8])? {
            guard position < ids.count else { return nil }
            if position == batchEnd && !prefetched {
                batchEnd = Swift.min(position + ChunkContents.batch, ids.count)
                locations = try await store.index.locations(of: Array(ids[position..<batchEnd]))
            }
            let id = ids[position]
            position += 1
            guard let location = locations[id] else { throw StoreError.chunkNotFound(id) }
            return (id, try await store.read(id, at: location, verify: verify, from: reader))
        }
    }
}
