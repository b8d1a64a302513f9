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
}
