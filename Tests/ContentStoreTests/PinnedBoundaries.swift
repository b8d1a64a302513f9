/// Chunk ends recorded when the chunker was first released, for
/// `pseudoRandomBytes(1 << 20, seed: 42)`. Any change to the gear table, the
/// masks or the loop that moves these breaks deduplication against existing
/// stores, and must come with a new store format instead.
enum PinnedBoundaries {
    static let seed42 = [101_080, 224_383, 304_879, 340_274]
}
