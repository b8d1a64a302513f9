#if canImport(Glibc)
import Glibc
#endif

/// Hands freed memory back to the system after a large request. glibc otherwise keeps
/// in its arenas what a 100,000-file commit freed (about 100 MB), and the server's
/// resident size stays at its peak long after.
enum MemoryRelease {
    /// Requests below this size leave too little behind to be worth a walk of the arenas.
    static let threshold = 8 << 20

    static func afterRequest(ofSize bytes: Int) {
        if bytes >= threshold { _ = trim?(0) }
    }

    // glibc's malloc_trim, looked up at run time: Glibc's module map leaves out <malloc.h>,
    // and another C library simply has none.
    private typealias Trim = @convention(c) (Int) -> Int32
    private static let trim: Trim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
        #else
        return nil
        #endif
    }()
}
