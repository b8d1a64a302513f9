/// What can go wrong in the content store. Messages name the object and say
/// what to do; they never carry file contents.
public enum StoreError: Error, Equatable, Sendable {
    /// A system call failed on a path (`operation` is e.g. "open", `message` is strerror).
    case io(operation: String, path: String, message: String)
    case invalidParameters(String)
    /// The store was created with other chunking parameters or format.
    case configurationMismatch(String)
    case notInitialized(path: String)
    case alreadyInitialized(path: String)
    case chunkNotFound(ChunkID)
    /// The bytes read back for a chunk do not hash to its id.
    case chunkCorrupt(ChunkID)
    case packCorrupt(pack: String, reason: String)
    /// Another process holds the store's lock (e.g. gc while an upload runs).
    case busy(String)
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(operation, path, message): "\(operation) \(path): \(message)"
        case let .invalidParameters(message): message
        case let .configurationMismatch(message): message
        case let .notInitialized(path): "no store at \(path); run `followup admin init --storage \(path)` first"
        case let .alreadyInitialized(path): "a store already exists at \(path)"
        case let .chunkNotFound(id): "chunk \(id) is not in the store"
        case let .chunkCorrupt(id): "chunk \(id) is corrupt: its bytes do not match its hash"
        case let .packCorrupt(pack, reason): "pack \(pack) is unreadable: \(reason)"
        case let .busy(message): message
        }
    }
}
