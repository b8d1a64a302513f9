import NIOCore
import Testing
@testable import SyncClient

@Suite("HTTP1ResponseDecoder: a response read from a socket, split anywhere")
struct HTTP1ResponseDecoderTests {
    struct Decoded: Equatable {
        var status: Int?
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        var ended = false
    }

    /// Decodes `wire` cut into pieces at `cuts`, then the connection's end.
    static func decode(_ wire: [UInt8], cuts: [Int] = [], requestWasHead: Bool = false) throws -> Decoded {
        var decoder = HTTP1ResponseDecoder(requestWasHead: requestWasHead)
        var decoded = Decoded()
        var start = 0
        func take(_ parts: [HTTP1ResponseDecoder.Part]) {
            for part in parts {
                switch part {
                case let .head(status, headers):
                    decoded.status = status
                    for (name, value) in headers { decoded.headers[name.lowercased()] = value }
                case .body(let piece): decoded.body += piece.readableBytesView
                case .end: decoded.ended = true
                }
            }
        }
        for cut in cuts + [wire.count] where cut > start {
            take(try decoder.decode(ByteBuffer(bytes: wire[start..<cut])))
            start = cut
        }
        take(try decoder.finish())
        return decoded
    }

    static let body = Array("the frames of a chunk fetch, or a tar".utf8)

    static var contentLength: [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    /// The body in chunks of 5, 11 and the rest, with an extension and a trailer.
    static var chunked: [UInt8] {
        var wire = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Followup-Position: 42\r\n\r\n".utf8)
        let pieces = [body[0..<5], body[5..<16], body[16...]]
        for (index, piece) in pieces.enumerated() {
            wire += Array("\(String(piece.count, radix: 16))\(index == 1 ? ";name=value" : "")\r\n".utf8) + piece + Array("\r\n".utf8)
        }
        return wire + Array("0\r\nX-Trailer: yes\r\n\r\n".utf8)
    }

    @Test("a body framed by Content-Length or chunked comes whole and in order, wherever the reads split it", arguments: [false, true])
    func everySplit(chunked: Bool) throws {
        let wire = chunked ? Self.chunked : Self.contentLength
        for cut in 0...wire.count {
            let decoded = try Self.decode(wire, cuts: [cut])
            #expect(decoded.status == 200, "cut at \(cut)")
            #expect(decoded.body == Self.body, "cut at \(cut)")
            #expect(decoded.ended, "cut at \(cut)")
        }
        // One byte at a time.
        let bytewise = try Self.decode(wire, cuts: Array(1..<wire.count))
        #expect(bytewise.body == Self.body)
        #expect(bytewise.headers[chunked ? "x-followup-position" : "content-type"] == (chunked ? "42" : "application/octet-stream"))
    }

    @Test("without a length the body runs to the connection's end; interim answers are skipped; 204 and HEAD have none")
    func framing() throws {
        let untilClose = try Self.decode(Array("HTTP/1.1 200 OK\r\n\r\n".utf8) + Self.body, cuts: [10, 25])
        #expect(untilClose.body == Self.body && untilClose.ended)

        let interim = try Self.decode(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8) + Self.contentLength)
        #expect(interim.status == 200 && interim.body == Self.body)

        let empty = try Self.decode(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
        #expect(empty.status == 204 && empty.body.isEmpty && empty.ended)

        let head = try Self.decode(Array("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".utf8), requestWasHead: true)
        #expect(head.ended && head.body.isEmpty)

        let error = try Self.decode(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}".utf8))
        #expect(error.status == 404 && error.body == Array("{}".utf8))
    }

    @Test("a response cut short, malformed or unbounded is an error, not a shorter body", arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcd",
        "SSH-2.0-OpenSSH_9.2\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Len",
        "",
    ])
    func refused(_ wire: String) {
        #expect(throws: HTTP1DecodingError.self) { try Self.decode(Array(wire.utf8)) }
    }

    @Test("a head or a line longer than the limits is refused before it is all read")
    func limits() {
        let longLine = Array("HTTP/1.1 200 OK\r\nX-Long: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: HTTP1ResponseDecoder.maxLineBytes)
        #expect(throws: HTTP1DecodingError.malformed("a line of the response is too long")) {
            var decoder = HTTP1ResponseDecoder()
            _ = try decoder.decode(ByteBuffer(bytes: longLine))
        }
        var manyHeaders = Array("HTTP/1.1 200 OK\r\n".utf8)
        while manyHeaders.count <= HTTP1ResponseDecoder.maxHeadBytes { manyHeaders += Array("X-Header: \(manyHeaders.count)\r\n".utf8) }
        #expect(throws: HTTP1DecodingError.malformed("the response's head is too long")) {
            var decoder = HTTP1ResponseDecoder()
            _ = try decoder.decode(ByteBuffer(bytes: manyHeaders))
        }
    }

    @Test("an http server URL is taken apart; https and URLs with credentials are not")
    func plainServers() throws {
        let local = try #require(PlainHTTPServer("http://127.0.0.1:18777"))
        #expect(local == PlainHTTPServer(host: "127.0.0.1", port: 18777, authority: "127.0.0.1:18777", pathPrefix: ""))
        let behindProxy = try #require(PlainHTTPServer("http://[::1]:8080/followup"))
        #expect(behindProxy == PlainHTTPServer(host: "::1", port: 8080, authority: "[::1]:8080", pathPrefix: "/followup"))
        let defaultPort = try #require(PlainHTTPServer("http://files.example"))
        #expect(defaultPort.port == 80 && defaultPort.authority == "files.example")
        #expect(PlainHTTPServer("https://files.example") == nil)
        #expect(PlainHTTPServer("http://user:secret@files.example") == nil)
    }
}
