import CChunkKernel

/// Content-defined chunking with FastCDC (Xia et al., 2016 and 2020):
/// normalized chunking (level 2) over a gear rolling hash, skipping the first
/// `minSize` bytes of every chunk.
///
/// Boundaries depend only on the bytes near them, so an insertion early in a
/// file moves the first boundary or two and leaves the rest where they were.
public struct Chunker: Sendable {
    public let parameters: ChunkerParameters
    /// Harder mask before the average size, easier after it: chunk sizes cluster near the average.
    let maskSmall: UInt64
    let maskLarge: UInt64
    private let gear = GearTable.shared

    public init(_ parameters: ChunkerParameters = .standard) throws {
        try parameters.validate()
        self.parameters = parameters
        let bits = parameters.averageSize.trailingZeroBitCount
        maskSmall = Self.mask(ones: bits + 2)
        maskLarge = Self.mask(ones: bits - 2)
    }

    /// A mask with `ones` bits spread evenly over bits 16…62, so every tested
    /// bit depends on at least 17 bytes of the gear window.
    static func mask(ones: Int) -> UInt64 {
        precondition((2...47).contains(ones))
        var mask: UInt64 = 0
        for i in 0..<ones {
            mask |= 1 << UInt64(16 + i * 46 / (ones - 1))
        }
        return mask
    }

    /// The length of the chunk that starts at `data`.
    ///
    /// `data` must hold at least `maxSize` bytes unless it is the rest of the
    /// stream; the result is then in `minSize...maxSize`, or all of `data` when
    /// less than that remains.
    ///
    /// The gear scan is in C (`CChunkKernel`, beside the hashing): four bytes a step,
    /// only one shift and add of each step waiting on the step before.
    public func cut(_ data: UnsafeRawBufferPointer) -> Int {
        guard let base = data.baseAddress else { return 0 }
        var kernel = fu_chunking(
            min_size: parameters.minSize, average_size: parameters.averageSize, max_size: parameters.maxSize,
            mask_small: maskSmall, mask_large: maskLarge, gear: gear.gear)
        return fu_cut(base.assumingMemoryBound(to: UInt8.self), data.count, &kernel)
    }

    /// The chunk ranges of an in-memory buffer.
    public func chunks(of data: UnsafeRawBufferPointer) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        while start < data.count {
            let length = cut(UnsafeRawBufferPointer(rebasing: data[start...]))
            out.append(start..<(start + length))
            start += length
        }
        return out
    }
}
