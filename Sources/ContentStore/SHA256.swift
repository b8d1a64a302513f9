import CChunkKernel
import CCrypto
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256, with the CPU's SHA instructions where it has them (x86-64 SHA-NI)
/// and through libcrypto's EVP interface otherwise.
///
/// `SHA256` is a streaming hasher for whole files; `SHA256.hash(_:)` is the
/// one-shot form used for every chunk. A digest is a `ChunkID`-shaped 32-byte
/// value whatever it names (a chunk, a file, a token).
public final class SHA256 {
    /// Where the hash is computed. Both give the same digests; tests compare them.
    public enum Engine: Sendable {
        /// The SHA instructions, through `CChunkKernel` (which can hash two messages at once).
        case instructions
        /// libcrypto.
        case openSSL

        /// The instructions when this CPU has them.
        public static let best: Engine = fu_sha256_available() != 0 ? .instructions : .openSSL
    }

    private enum State {
        case instructions(UnsafeMutablePointer<fu_sha256>)
        case openSSL(OpaquePointer)
    }

    private let state: State

    public convenience init() { self.init(engine: .best) }

    public init(engine: Engine) {
        switch engine {
        case .instructions:
            precondition(Engine.best == .instructions, "this CPU has no SHA instructions")
            let context = UnsafeMutablePointer<fu_sha256>.allocate(capacity: 1)
            fu_sha256_init(context)
            state = .instructions(context)
        case .openSSL:
            guard let context = EVP_MD_CTX_new() else {
                fatalError("libcrypto could not allocate a digest context (out of memory)")
            }
            Self.check(EVP_DigestInit_ex(context, Self.algorithm.md, nil))
            state = .openSSL(context)
        }
    }

    deinit {
        switch state {
        case .instructions(let context): context.deallocate()
        case .openSSL(let context): EVP_MD_CTX_free(context)
        }
    }

    public var engine: Engine {
        switch state {
        case .instructions: .instructions
        case .openSSL: .openSSL
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        switch state {
        case .instructions(let context): fu_sha256_update(context, bytes.baseAddress, bytes.count)
        case .openSSL(let context): Self.check(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count))
        }
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Starts over, reusing the context (no allocation).
    public func reset() {
        switch state {
        case .instructions(let context): fu_sha256_init(context)
        case .openSSL(let context): Self.check(EVP_DigestInit_ex2(context, Self.algorithm.md, nil))
        }
    }

    /// Takes `other`'s state, as if everything passed to it had been passed to this one.
    public func copyState(from other: SHA256) {
        switch (state, other.state) {
        case let (.instructions(context), .instructions(source)): context.pointee = source.pointee
        case let (.openSSL(context), .openSSL(source)): Self.check(EVP_MD_CTX_copy_ex(context, source))
        default: preconditionFailure("copyState between SHA256 engines")
        }
    }

    /// The digest of everything passed to `update` since creation or `reset()`.
    public func finalize() -> ChunkID {
        Self.digest { out in
            switch state {
            case .instructions(let context):
                fu_sha256_final(context, out)
            case .openSSL(let context):
                var length: UInt32 = 0
                Self.check(EVP_DigestFinal_ex(context, out, &length))
            }
        }
    }

    /// The context of the SHA-instruction engine, for the kernel's multi-message calls.
    var instructionContext: UnsafeMutablePointer<fu_sha256>? {
        if case .instructions(let context) = state { context } else { nil }
    }

    /// The SHA-256 of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer, engine: Engine = .best) -> ChunkID {
        digest { out in
            switch engine {
            case .instructions:
                var context = fu_sha256()
                fu_sha256_init(&context)
                fu_sha256_update(&context, bytes.baseAddress, bytes.count)
                fu_sha256_final(&context, out)
            case .openSSL:
                var length: UInt32 = 0
                check(EVP_Digest(bytes.baseAddress, bytes.count, out, &length, algorithm.md, nil))
            }
        }
    }

    /// The SHA-256 of two messages: with the SHA instructions, both at once,
    /// nearly half again as fast as one after the other.
    public static func hash(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, engine: Engine = .best) -> (ChunkID, ChunkID) {
        switch engine {
        case .instructions:
            var digests: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &digests) { raw in
                let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                fu_sha256_pair(
                    a.baseAddress?.assumingMemoryBound(to: UInt8.self), a.count,
                    b.baseAddress?.assumingMemoryBound(to: UInt8.self), b.count, out, out + 32)
            }
            return withUnsafeBytes(of: &digests) { raw in
                (ChunkID(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<32])),
                 ChunkID(bytes: UnsafeRawBufferPointer(rebasing: raw[32..<64])))
            }
        case .openSSL:
            return (hash(a, engine: .openSSL), hash(b, engine: .openSSL))
        }
    }

    public static func hash(_ bytes: [UInt8]) -> ChunkID {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ string: String) -> ChunkID {
        hash(Array(string.utf8))
    }

    /// The SHA-256 of a whole file, read in 512 KiB pieces: under glibc's mmap threshold
    /// (`MallocTuning`), so the buffer is reused memory, not a mapping made, faulted in
    /// and unmapped for every file hashed.
    package static func hash(fileAt path: String) throws -> ChunkID {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { FileIO.close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        let hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512 << 10, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try FileIO.read(fd, into: buffer, path: path)
            if n == 0 { return hasher.finalize() }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// A digest written by `body` into 32 bytes.
    private static func digest(_ body: (UnsafeMutablePointer<UInt8>) -> Void) -> ChunkID {
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &digest) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            return ChunkID(bytes: UnsafeRawBufferPointer(raw))
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

extension SHA256.Engine {
    /// The engines this CPU can run: both where it has the SHA instructions.
    public static let available: [SHA256.Engine] = best == .instructions ? [.instructions, .openSSL] : [.openSSL]
}
