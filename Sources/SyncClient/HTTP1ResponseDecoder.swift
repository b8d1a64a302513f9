import Foundation
import NIOCore
import NIOHTTP1

/// Reads one HTTP/1.1 response from bytes as they arrive from a socket, split anywhere:
/// its head, then its body as slices of the buffers read (never copied), framed by
/// `Content-Length`, by the chunked transfer coding, or by the end of the connection.
///
///     var decoder = HTTP1ResponseDecoder()
///     while let buffer = read() {
///         for part in try decoder.decode(buffer) { … }   // .head, then .body…, then .end
///     }
///     for part in try decoder.finish() { … }             // the connection's end
///
/// Interim responses (`100 Continue`) are skipped. A head or a line of the chunked coding
/// longer than ``maxLineBytes`` (or a head over ``maxHeadBytes``) is refused: the server
/// is not trusted to bound them.
struct HTTP1ResponseDecoder {
    enum Part {
        case head(status: Int, headers: HTTPHeaders)
        case body(ByteBuffer)
        case end
    }

    static let maxHeadBytes = 64 << 10
    static let maxLineBytes = 8 << 10

    private enum State {
        case statusLine
        case headerLines(status: Int)
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    private var state = State.statusLine
    /// A line not complete yet: its bytes so far.
    private var partialLine = ByteBuffer()
    private var headers = HTTPHeaders()
    private var headBytes = 0
    /// Whether the request was a `HEAD`: its response has no body whatever it says.
    private let noBody: Bool

    init(requestWasHead: Bool = false) {
        noBody = requestWasHead
    }

    /// The parts that `buffer` completes, in order.
    mutating func decode(_ buffer: ByteBuffer) throws(HTTP1DecodingError) -> [Part] {
        var buffer = buffer
        var parts: [Part] = []
        while buffer.readableBytes > 0 {
            switch state {
            case .statusLine:
                guard let line = try readLine(from: &buffer) else { break }
                state = .headerLines(status: try Self.status(of: line))
                headers = HTTPHeaders()
            case .headerLines(let status):
                guard let line = try readLine(from: &buffer) else { break }
                guard line.isEmpty else {
                    try addHeader(line)
                    continue
                }
                // 1xx answers come before the real one (101 would switch protocols: not asked for).
                if (100..<200).contains(status) && status != 101 {
                    state = .statusLine
                    continue
                }
                parts.append(.head(status: status, headers: headers))
                state = try bodyState(status: status)
                if case .done = state { parts.append(.end) }
            case .fixed(let remaining):
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                parts.append(.body(slice))
                state = remaining == slice.readableBytes ? .done : .fixed(remaining: remaining - slice.readableBytes)
                if case .done = state { parts.append(.end) }
            case .chunkSize:
                guard let line = try readLine(from: &buffer) else { break }
                let size = try Self.chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                parts.append(.body(slice))
                state = remaining == slice.readableBytes ? .chunkDataEnd : .chunkData(remaining: remaining - slice.readableBytes)
            case .chunkDataEnd:
                guard let line = try readLine(from: &buffer) else { break }
                guard line.isEmpty else { throw .malformed("a chunk of the body is longer than its size") }
                state = .chunkSize
            case .trailers:
                guard let line = try readLine(from: &buffer) else { break }
                if line.isEmpty {
                    state = .done
                    parts.append(.end)
                }
            case .untilClose:
                parts.append(.body(buffer.readSlice(length: buffer.readableBytes)!))
            case .done:
                throw .malformed("bytes after the end of the response")
            }
        }
        return parts
    }

    /// The connection ended: the parts that completes (a body read until the end), or an
    /// error if the response was cut short.
    mutating func finish() throws(HTTP1DecodingError) -> [Part] {
        switch state {
        case .done: return []
        case .untilClose:
            state = .done
            return [.end]
        case .statusLine where headBytes == 0 && partialLine.readableBytes == 0:
            throw .truncated("the server closed the connection without answering")
        default:
            throw .truncated("the response ended early")
        }
    }

    var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    private func bodyState(status: Int) throws(HTTP1DecodingError) -> State {
        if noBody || status == 204 || status == 304 { return .done }
        let codings = headers[canonicalForm: "transfer-encoding"]
        if let last = codings.last {
            // Chunked must be the last coding; anything else on top of it is not asked for.
            guard last.lowercased() == "chunked", codings.count == 1 else {
                throw .malformed("unsupported transfer coding \(codings.joined(separator: ", "))")
            }
            return .chunkSize
        }
        let lengths = Set(headers[canonicalForm: "content-length"].map { $0.trimmingCharacters(in: .whitespaces) })
        guard let length = lengths.first else { return .untilClose }
        guard lengths.count == 1, let value = Int(length), value >= 0 else { throw .malformed("bad Content-Length \(length.prefix(20))") }
        return value == 0 ? .done : .fixed(remaining: value)
    }

    /// The next line (without its CR LF), or nil when `buffer` ends before it does.
    private mutating func readLine(from buffer: inout ByteBuffer) throws(HTTP1DecodingError) -> String? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            try keep(buffer.readableBytes)
            partialLine.writeBuffer(&buffer)
            return nil
        }
        let length = newline - view.startIndex + 1
        try keep(length)
        var piece = buffer.readSlice(length: length)!
        partialLine.writeBuffer(&piece)
        var line = partialLine.readString(length: partialLine.readableBytes)!
        partialLine.clear()
        line.removeLast()  // the LF
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    /// Counts `bytes` more of a line against the limits.
    private mutating func keep(_ bytes: Int) throws(HTTP1DecodingError) {
        guard partialLine.readableBytes + bytes <= Self.maxLineBytes else { throw .malformed("a line of the response is too long") }
        switch state {
        case .statusLine, .headerLines:
            headBytes += bytes
            guard headBytes <= Self.maxHeadBytes else { throw .malformed("the response's head is too long") }
        default: break
        }
    }

    private mutating func addHeader(_ line: String) throws(HTTP1DecodingError) {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .malformed("bad header line") }
        let name = line[..<colon]
        guard !name.contains(where: { $0 == " " || $0 == "\t" }) else { throw .malformed("bad header name") }
        headers.add(name: String(name), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    private static func status(of line: String) throws(HTTP1DecodingError) -> Int {
        // "HTTP/1.1 200 OK": the reason phrase may be empty or absent.
        let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), fields[1].count == 3, let status = Int(fields[1]), status >= 100 else {
            throw .malformed("bad status line")
        }
        return status
    }

    private static func chunkSize(_ line: String) throws(HTTP1DecodingError) -> Int {
        let digits = line.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.count <= 15, let size = Int(digits, radix: 16), size >= 0 else {
            throw .malformed("bad chunk size")
        }
        return size
    }
}

enum HTTP1DecodingError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case truncated(String)

    var description: String {
        switch self {
        case let .malformed(message): "malformed HTTP response: \(message)"
        case let .truncated(message): message
        }
    }
}
