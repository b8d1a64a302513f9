import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator, set for a process that moves data in buffers of about a MiB.
///
/// By default glibc raises its mmap threshold each time a large buffer is freed (up to
/// 32 MiB), so the upload and pack buffers of a push end up in the arenas, where what is
/// freed between long-lived small blocks stays resident: a 4 GiB push left the server at
/// 122 MB and a 100,000-file push the client at 117 MB. A fixed threshold keeps each
/// buffer of 1 MiB or more in its own mapping, returned when it is freed (84 and 97 MB).
///
/// The trim threshold is fixed too, at 1 MiB instead of 128 KiB: otherwise each free that
/// leaves that much at the top of an arena hands it back, and the next network read or
/// upload piece faults it in again, page by page (7% of the server's time in a push).
/// 4 MiB saved no more time and kept 4 MB more in a 100,000-file push. Idle memory is
/// handed back by `releaseFreeMemory()` after large requests.
public enum MallocTuning {
    public static let mmapThreshold: Int32 = 1 << 20
    public static let trimThreshold: Int32 = 1 << 20

    /// Call first thing, before other threads allocate. Does nothing when the user set
    /// `MALLOC_MMAP_THRESHOLD_` (their choice wins) or the C library is not glibc.
    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment["MALLOC_MMAP_THRESHOLD_"] == nil, let mallopt else { return }
        _ = mallopt(mmapThresholdParameter, mmapThreshold)
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil { _ = mallopt(trimThresholdParameter, trimThreshold) }
    }

    /// Hands memory freed into glibc's arenas back to the system (`malloc_trim(0)`): after a
    /// large request a server would otherwise stay at its peak long after.
    public static func releaseFreeMemory() {
        _ = trim?(0)
    }

    /// `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD` in <malloc.h>.
    private static let mmapThresholdParameter: Int32 = -3
    private static let trimThresholdParameter: Int32 = -1

    private static let mallopt = glibc("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self)
    private static let trim = glibc("malloc_trim", as: (@convention(c) (Int) -> Int32).self)

    /// A glibc function looked up at run time: Glibc's module map leaves out <malloc.h>,
    /// and another C library simply has none.
    private static func glibc<Function>(_ name: String, as type: Function.Type) -> Function? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }
}
