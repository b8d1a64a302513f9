/// FastCDC's size parameters. A store records the ones it was created with and
/// refuses to open with others: changing them would break deduplication.
public struct ChunkerParameters: Sendable, Hashable, Codable {
    public var minSize: Int
    public var averageSize: Int
    public var maxSize: Int

    /// min 16 KiB, average 64 KiB, max 256 KiB, as casync.
    public static let standard = ChunkerParameters(minSize: 16 << 10, averageSize: 64 << 10, maxSize: 256 << 10)

    public init(minSize: Int, averageSize: Int, maxSize: Int) {
        self.minSize = minSize
        self.averageSize = averageSize
        self.maxSize = maxSize
    }

    /// Throws unless 64 ≤ min < average < max ≤ 64 MiB and average is a power of two.
    public func validate() throws {
        guard minSize >= 64, minSize < averageSize, averageSize < maxSize, maxSize <= 64 << 20,
              averageSize & (averageSize - 1) == 0
        else {
            throw StoreError.invalidParameters(
                "chunk sizes must satisfy 64 ≤ min < average < max ≤ 64 MiB with a power-of-two average (got \(minSize)/\(averageSize)/\(maxSize))")
        }
    }

    enum CodingKeys: String, CodingKey {
        case minSize = "min_size", averageSize = "average_size", maxSize = "max_size"
    }
}
