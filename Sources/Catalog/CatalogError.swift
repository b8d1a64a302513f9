/// Catalog failures callers can act on. Database driver errors are logged by
/// the catalog and surface as `.database` without their SQL text.
public enum CatalogError: Error, Equatable, Sendable {
    case database(String)
    case notFound(String)
    case conflict(String)
    case invalid(String)
}

extension CatalogError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .database(message): "catalog database error: \(message)"
        case let .notFound(message): message
        case let .conflict(message): message
        case let .invalid(message): message
        }
    }
}
