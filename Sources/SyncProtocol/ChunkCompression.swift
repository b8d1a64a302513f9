import CZlib

/// Deflate for chunk frames of a fetch, used only where it pays.
///
/// A fetch that asks for ``deflate`` may get some frames deflated (zlib format): those
/// have the top bit of their length set (``ChunkFrame/compressed``), and the length
/// counts the deflated bytes. The receiver knows each chunk's real length from the
/// manifest and checks the inflated size against it.
public enum ChunkCompression {
    public static let deflate = "deflate"

    /// A frame is sent deflated only if that saves at least an eighth of it.
    static let worthwhile = 7.0 / 8.0
    static let sampleBytes = 4096

    /// The deflated chunk, or nil when deflating would not pay: already-compressed
    /// media is recognised from a 4 KiB sample, so it costs almost nothing.
    public static func compress(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 512 else { return nil }
        if bytes.count > sampleBytes * 4 {
            let start = bytes.count / 2
            guard let sample = deflated(bytes[start..<start + sampleBytes]),
                  Double(sample.count) <= Double(sampleBytes) * worthwhile
            else { return nil }
        }
        guard let out = deflated(bytes[...]), Double(out.count) <= Double(bytes.count) * worthwhile else { return nil }
        return out
    }

    /// Inflates a deflated frame that must come to exactly `length` bytes.
    public static func decompress(_ bytes: [UInt8], length: Int) throws(FrameError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let inflated = out.withUnsafeMutableBytes { target in bytes.withUnsafeBytes { inflate($0, into: target) } }
        guard inflated else { throw .badCompression }
        return out
    }

    /// Inflates a deflated frame into all of `target`, where it must come to exactly
    /// `target.count` bytes (a frame read in place, inflated into the chunk's own buffer).
    public static func decompress(_ bytes: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) throws(FrameError) {
        guard inflate(bytes, into: target) else { throw .badCompression }
    }

    private static func inflate(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) -> Bool {
        var outLength = uLongf(target.count)
        let status = uncompress(
            target.baseAddress?.assumingMemoryBound(to: Bytef.self), &outLength,
            source.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(source.count))
        return status == Z_OK && outLength == uLongf(target.count)
    }

    private static func deflated(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { target in
            bytes.withUnsafeBufferPointer { source in
                compress2(target.baseAddress, &capacity, source.baseAddress, uLong(source.count), 1)
            }
        }
        guard status == Z_OK else { return nil }
        out.removeSubrange(Int(capacity)...)
        return out
    }
}
