/// Why a framed chunk stream was refused.
public enum FrameError: Error, Hashable, Sendable {
    /// A frame declares (or, when encoding, holds) more bytes than the limit allows. Checked
    /// on the header, before the body is buffered, so a hostile length costs no memory.
    case frameTooLong(length: Int, limit: Int)
    /// The stream ended inside a frame, with `bufferedBytes` bytes of it received.
    case truncated(bufferedBytes: Int)
    /// A deflated frame did not inflate to the chunk's length.
    case badCompression
    /// A compressed frame where none was allowed (an upload).
    case unexpectedCompression
}

extension FrameError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .frameTooLong(let length, let limit):
            "chunk frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case .truncated(let bufferedBytes):
            "chunk stream ended inside a frame (\(bufferedBytes) bytes of it received); retry the transfer"
        case .badCompression:
            "a deflated chunk frame does not inflate to its chunk"
        case .unexpectedCompression:
            "a chunk frame is marked compressed where compression was not negotiated"
        }
    }
}
