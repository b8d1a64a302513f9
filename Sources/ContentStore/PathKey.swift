/// A path as a dictionary key that compares its UTF-8 bytes.
///
/// `String`'s own equality is Unicode canonical equivalence, under which "é" precomposed
/// and decomposed are one key; a file system (and the catalog) sees two names. A
/// `[UInt8]` key has the right equality but costs an allocation per path; this wraps the
/// string itself, so a table of 100,000 paths shares the strings' storage.
public struct PathKey: Hashable, Sendable {
    public let path: String

    public init(_ path: String) {
        self.path = path
    }

    public static func == (lhs: PathKey, rhs: PathKey) -> Bool {
        lhs.path.utf8.elementsEqual(rhs.path.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var path = path
        path.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
