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

    /// Bytes scanned between hash updates in `cut(_:hashingInto:file:)`: small
    /// enough that SHA-256 reads them from L1 right after the scan did.
    static let hashWindow = 8 << 10

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
    public func cut(_ data: UnsafeRawBufferPointer) -> Int {
        let count = data.count
        if count <= parameters.minSize { return count }
        let end = min(count, parameters.maxSize)
        let normal = min(end, parameters.averageSize)
        let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let small = scan(bytes, from: parameters.minSize, to: normal, fp: 0, mask: maskSmall)
        if small.found { return small.end }
        return scan(bytes, from: normal, to: end, fp: small.fp, mask: maskLarge).end
    }

    /// As `cut(_:)`, and feeds the chunk's bytes to `chunkHash` (reset first)
    /// and `fileHash` window by window, while they are still in cache: one pass
    /// over memory instead of three.
    public func cut(_ data: UnsafeRawBufferPointer, hashingInto chunkHash: SHA256, file fileHash: SHA256?) -> Int {
        chunkHash.reset()
        let bytes = data.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) }
        func feed(_ from: Int, _ to: Int) {
            let slice = UnsafeRawBufferPointer(rebasing: data[from..<to])
            chunkHash.update(slice)
            fileHash?.update(slice)
        }
        let count = data.count
        if count <= parameters.minSize { feed(0, count); return count }
        let end = min(count, parameters.maxSize)
        let normal = min(end, parameters.averageSize)
        feed(0, parameters.minSize)
        var i = parameters.minSize
        var fp: UInt64 = 0
        while i < end {
            let (limit, mask) = i < normal ? (normal, maskSmall) : (end, maskLarge)
            let windowEnd = min(i + Self.hashWindow, limit)
            let result = scan(bytes!, from: i, to: windowEnd, fp: fp, mask: mask)
            feed(i, result.end)
            if result.found { return result.end }
            fp = result.fp
            i = windowEnd
        }
        return end
    }

    /// Rolls the gear hash over `start..<limit`. Returns the position just
    /// after the first byte where `fp & mask == 0` (found), or `limit` with
    /// the hash to carry on from (not found).
    ///
    /// Four bytes a step: with h(k+1) = 2·h(k) + G[byte], the step's four hashes
    /// are computed from `fp` and the step's table values, so only two
    /// shift-and-adds per four bytes sit on the loop-carried dependency.
    @inline(__always)
    private func scan(_ bytes: UnsafePointer<UInt8>, from start: Int, to limit: Int, fp: UInt64, mask m: UInt64) -> (end: Int, fp: UInt64, found: Bool) {
        let g = gear.gear
        var h = fp
        var i = start
        while i + 4 <= limit {
            let a = g[Int(bytes[i])], b = g[Int(bytes[i + 1])], c = g[Int(bytes[i + 2])], d = g[Int(bytes[i + 3])]
            let h1 = (h &<< 1) &+ a
            let h2 = (h &<< 2) &+ ((a &<< 1) &+ b)
            let h3 = (h2 &<< 1) &+ c
            let h4 = (h2 &<< 2) &+ ((c &<< 1) &+ d)
            if h1 & m == 0 { return (i + 1, h1, true) }
            if h2 & m == 0 { return (i + 2, h2, true) }
            if h3 & m == 0 { return (i + 3, h3, true) }
            if h4 & m == 0 { return (i + 4, h4, true) }
            h = h4
            i += 4
        }
        while i < limit {
            h = (h &<< 1) &+ g[Int(bytes[i])]
            i += 1
            if h & m == 0 { return (i, h, true) }
        }
        return (i, h, false)
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
