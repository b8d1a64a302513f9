import Foundation

/// A stored object's name, size and last modification.
public struct BlobInfo: Sendable, Hashable {
    public var name: String
    public var size: Int64
    public var modified: Date

    public init(name: String, size: Int64, modified: Date) {
        self.name = name
        self.size = size
        self.modified = modified
    }
}

/// Where packs live: whole objects written once, read whole or by range, listed
/// and deleted. A local directory now; S3-compatible object storage maps onto
/// the same operations one to one.
public protocol BlobStore: Sendable {
    /// Makes the complete file at `localPath` durable under `name`, consuming the file.
    func put(_ name: String, movingFile localPath: String) async throws
    func put(_ name: String, bytes: [UInt8]) async throws
    /// The whole object.
    func get(_ name: String) async throws -> [UInt8]
    /// `length` bytes at `offset`; reading past the end is an error.
    func read(_ name: String, offset: Int64, length: Int) async throws -> [UInt8]
    /// Size and modification time, or nil if there is no such object.
    func info(_ name: String) async throws -> BlobInfo?
    func list() async throws -> [BlobInfo]
    /// Removes the object; removing a missing one is not an error.
    func delete(_ name: String) async throws
    /// A reader for many ranges in a row, used by one task: it may keep an object open
    /// from one read to the next.
    func rangeReader() -> any BlobRangeReader
}

/// Reads ranges of objects one after another (see ``BlobStore/rangeReader()``).
public protocol BlobRangeReader: AnyObject {
    /// `length` bytes at `offset`; reading past the end is an error.
    func read(_ name: String, offset: Int64, length: Int) async throws -> [UInt8]
}

extension BlobStore {
    /// Each read on its own, as ``BlobStore/read(_:offset:length:)``.
    public func rangeReader() -> any BlobRangeReader {
        EachReadAlone(store: self)
    }
}

private final class EachReadAlone<Store: BlobStore>: BlobRangeReader {
    let store: Store

    init(store: Store) {
        self.store = store
    }

    func read(_ name: String, offset: Int64, length: Int) async throws -> [UInt8] {
        try await store.read(name, offset: offset, length: length)
    }
}
