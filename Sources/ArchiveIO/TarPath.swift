/// A relative path inside a tar that is safe to place under a destination directory.
///
/// Every path read from a tar goes through ``validate(_:)``: a foreign tar is hostile
/// input, and one absolute path or `..` would let it write outside the tree. `.`
/// components are dropped and one trailing `/` (a directory marker) is accepted, so tars
/// made with `tar -C dir -cf x.tar .` are read as `a/b`, never `./a/b/`.
public struct TarPath: Hashable, Sendable, CustomStringConvertible {
    /// Components joined by `/`; no leading, trailing or doubled `/`, no `.` or `..`.
    public let string: String

    /// Linux's PATH_MAX, in UTF-8 bytes.
    public static let maxLength = 4096
    /// Linux's NAME_MAX, in UTF-8 bytes.
    public static let maxComponentLength = 255

    public var components: [Substring] { string.split(separator: "/") }
    public var description: String { string }

    public enum Violation: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case absolute
        case parentComponent
        case emptyComponent
        case nulByte
        case notUTF8
        case tooLong(bytes: Int)
        case componentTooLong(bytes: Int)

        public var description: String {
            switch self {
            case .empty: "empty path"
            case .absolute: "absolute path"
            case .parentComponent: "path contains '..'"
            case .emptyComponent: "path contains an empty component ('//')"
            case .nulByte: "path contains a NUL byte"
            case .notUTF8: "path is not valid UTF-8"
            case .tooLong(let bytes): "path of \(bytes) bytes exceeds \(TarPath.maxLength)"
            case .componentTooLong(let bytes): "path component of \(bytes) bytes exceeds \(TarPath.maxComponentLength)"
            }
        }
    }

    /// The normalised path, or the first rule `raw` breaks.
    public static func validate(_ raw: String) throws(Violation) -> TarPath {
        let length = raw.utf8.count
        guard length <= maxLength else { throw .tooLong(bytes: length) }
        guard !raw.utf8.contains(0) else { throw .nulByte }
        guard length > 0 else { throw .empty }
        guard !raw.hasPrefix("/") else { throw .absolute }

        var body = Substring(raw)
        if body.hasSuffix("/") { body.removeLast() }
        var kept: [Substring] = []
        for component in body.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "": throw .emptyComponent
            case "..": throw .parentComponent
            case ".": continue
            default:
                guard component.utf8.count <= maxComponentLength else {
                    throw .componentTooLong(bytes: component.utf8.count)
                }
                kept.append(component)
            }
        }
        guard !kept.isEmpty else { throw .empty }
        return TarPath(string: kept.joined(separator: "/"))
    }

    private init(string: String) { self.string = string }
}
