import Foundation

/// What a store was created with, recorded in `<root>/store.json` and checked
/// on every open: chunk ids only deduplicate while these never change.
public struct StoreConfiguration: Sendable, Hashable, Codable {
    public static let currentVersion = 1
    public static let defaultPackSize = 64 << 20

    public var version: Int
    public var chunker: ChunkerParameters
    /// Names the gear table generator (see `GearTable`).
    public var gear: String
    /// Packs are sealed once they reach this many bytes.
    public var packSize: Int
    public var created: Date

    public init(chunker: ChunkerParameters = .standard, packSize: Int = defaultPackSize, created: Date = Date()) {
        version = Self.currentVersion
        self.chunker = chunker
        gear = GearTable.fingerprint
        self.packSize = packSize
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case version, chunker, gear, created
        case packSize = "pack_size"
    }

    static func load(from path: String) throws -> StoreConfiguration {
        let bytes = try FileIO.readAll(path)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(StoreConfiguration.self, from: Data(bytes))
        } catch {
            throw StoreError.configurationMismatch("\(path) is not a valid store configuration")
        }
    }

    func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding a value of plain fields cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        try FileIO.writeAtomically(Array(data) + [UInt8(ascii: "\n")], to: path)
    }

    /// Throws unless a store recorded with `self` can be used by this build with `requested` chunking.
    func checkCompatible(requested: ChunkerParameters?) throws {
        guard version == Self.currentVersion else {
            throw StoreError.configurationMismatch("store format \(version) is not supported by this build (expects \(Self.currentVersion))")
        }
        guard gear == GearTable.fingerprint else {
            throw StoreError.configurationMismatch("store was chunked with \(gear); this build uses \(GearTable.fingerprint)")
        }
        if let requested, requested != chunker {
            throw StoreError.configurationMismatch(
                "store was created with chunk sizes \(chunker.minSize)/\(chunker.averageSize)/\(chunker.maxSize) and cannot change to \(requested.minSize)/\(requested.averageSize)/\(requested.maxSize); remove the chunking settings or use a new storage directory")
        }
        try chunker.validate()
        guard packSize >= 1 << 20, packSize <= 1 << 30 else {
            throw StoreError.configurationMismatch("pack size \(packSize) is out of range")
        }
    }
}
