import CCrypto
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 through libcrypto's EVP interface, which uses SHA-NI where the CPU has it.
///
/// `SHA256` is a streaming hasher for whole files; `SHA256.hash(_:)` is the
/// one-shot form used for every chunk. A digest is a `ChunkID`-shaped 32-byte
/// value whatever it names (a chunk, a file, a token).
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("libcrypto could not allocate a digest context (out of memory)")
        }
        self.context = context
        Self.check(EVP_DigestInit_ex(context, Self.algorithm.md, nil))
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        Self.check(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count))
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Starts over, reusing the context (no allocation).
    public func reset() {
        Self.check(EVP_DigestInit_ex2(context, Self.algorithm.md, nil))
    }

    /// Takes `other`'s state, as if everything passed to it had been passed to this one.
    public func copyState(from other: SHA256) {
        Self.check(EVP_MD_CTX_copy_ex(context, other.context))
    }

    /// The digest of everything passed to `update` since creation or `reset()`.
    public func finalize() -> ChunkID {
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &digest) { raw in
            var length: UInt32 = 0
            Self.check(EVP_DigestFinal_ex(context, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &length))
            return ChunkID(bytes: UnsafeRawBufferPointer(raw))
        }
    }

    /// The SHA-256 of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> ChunkID {
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &digest) { raw in
            var length: UInt32 = 0
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            check(EVP_Digest(bytes.baseAddress, bytes.count, out, &length, algorithm.md, nil))
            return ChunkID(bytes: UnsafeRawBufferPointer(raw))
        }
    }

    public static func hash(_ bytes: [UInt8]) -> ChunkID {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ string: String) -> ChunkID {
        hash(Array(string.utf8))
    }

    /// The SHA-256 of a whole file, read in 1 MiB pieces.
    package static func hash(fileAt path: String) throws -> ChunkID {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { FileIO.close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        let hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try FileIO.read(fd, into: buffer, path: path)
            if n == 0 { return hasher.finalize() }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// Fetched once: OpenSSL 3 otherwise looks the algorithm up (under a lock) on every init.
    private static let algorithm = FetchedDigest()

    private static func check(_ result: Int32) {
        // EVP calls on a valid context with SHA-256 only fail when memory is exhausted.
        precondition(result == 1, "libcrypto SHA-256 call failed")
    }
}

/// An `EVP_MD` fetched from the default provider.
///
/// `@unchecked Sendable`: the pointer is written once at initialisation and
/// OpenSSL documents fetched algorithm objects as safe to share between threads.
private final class FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer

    init() {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("libcrypto has no SHA256 implementation")
        }
        self.md = md
    }
}

/// Cryptographically secure random bytes from libcrypto.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        precondition(ok == 1, "libcrypto's random generator failed")
        return out
    }

    /// `count` random bytes as lowercase hex.
    public static func hex(_ count: Int) -> String { Hex.encode(bytes(count)) }
}
