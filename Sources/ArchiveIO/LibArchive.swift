import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libarchive's message for the last failure on `archive`.
func errorMessage(_ archive: OpaquePointer?) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
}

/// Runs libarchive calls with the calling thread's C locale set to UTF-8.
///
/// libarchive converts names between pax's UTF-8 and the C library's locale charset, and a
/// Swift process never calls `setlocale`, so that charset is ASCII: libarchive 3.6 then
/// crashes writing a non-ASCII name and only warns, having mangled it, reading one. A
/// thread-local locale (`uselocale`) makes every conversion UTF-8 to UTF-8 without changing
/// the rest of the process. Each call is synchronous, so the thread cannot change under it.
func withUTF8Locale<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    guard let locale = utf8Locale.value else { return try body() }
    let previous = uselocale(locale)
    defer { uselocale(previous) }
    return try body()
}

/// Created once and never freed or changed, so sharing it between threads is safe.
private let utf8Locale = UTF8Locale()

private struct UTF8Locale: @unchecked Sendable {
    let value: locale_t?

    init() {
        let names: [String] = ["C.UTF-8", "en_US.UTF-8"]
        value = names.lazy.compactMap { newlocale(LC_CTYPE_MASK, $0, nil) }.first
    }
}

/// File-type bits of `archive_entry_filetype`. libarchive's `AE_IF*` macros are casts, which
/// Swift does not import; these are the POSIX values they expand to.
enum FileTypeBits {
    static let mask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symbolicLink: UInt32 = 0o120000
    static let socket: UInt32 = 0o140000
    static let characterDevice: UInt32 = 0o020000
    static let blockDevice: UInt32 = 0o060000
    static let fifo: UInt32 = 0o010000
}
