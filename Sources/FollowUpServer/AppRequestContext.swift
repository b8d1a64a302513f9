import Catalog
import Hummingbird

/// The request context of every route: who is calling (set by
/// `AuthenticationMiddleware` on `/v1`) next to Hummingbird's core storage.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller; nil outside `/v1` or before authentication.
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// JSON bodies are small; chunk uploads stream and set their own limit.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller, or 401 if the route was reached without authentication.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthorized }
        return identity
    }
}
