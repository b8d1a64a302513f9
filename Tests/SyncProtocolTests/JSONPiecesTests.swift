import Foundation
import SyncProtocol
import Testing

@Suite("Large JSON documents written a piece at a time")
struct JSONPiecesTests {
    static func digest(_ byte: UInt8) -> ChunkDigest { ChunkDigest(bytes: [UInt8](repeating: byte, count: 32))! }

    static func files(_ count: Int) -> [CommitFile] {
        (0..<count).map(file)
    }

    static func file(_ n: Int) -> CommitFile {
        let path = n % 3 == 0 ? "brand/logo é \"\(n)\"/a\\b.png" : "video/\(n).mov"
        let chunks: [ChunkSpan] = (0..<(n % 4)).map { ChunkSpan(id: digest(UInt8($0)), length: 25) }
        let mtime: Int64 = 1_700_000_000_123_456_789 + Int64(n)
        return CommitFile(
            path: path, size: Int64(n * 100), mode: 0o644, mtimeNs: mtime, sha256: digest(UInt8(n % 256)),
            chunks: chunks, phase: n % 2 == 0 ? "design" : nil)
    }

    @Test("a commit body has exactly the bytes JSONEncoder with sorted keys gives", arguments: [0, 1, 7])
    func commitBody(files count: Int) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for body in [
            CommitRequestBody(files: Self.files(count)),
            CommitRequestBody(files: Self.files(count), deletions: ["old/ä.txt", "x"],
                              hours: HourLogRequest(project: "site", minutes: 90, service: "design", note: "tab\there")),
        ] {
            let pieces = try body.jsonBytes()
            #expect(pieces == Array(try encoder.encode(body)))
            #expect(try JSONDecoder().decode(CommitRequestBody.self, from: Data(pieces)) == body)
        }
    }

    @Test("strings, integers and booleans have exactly the bytes JSONEncoder gives, slashes escaped or not")
    func scalars() throws {
        var everyASCII = ""
        for byte in UInt8(0)..<0x80 { everyASCII.unicodeScalars.append(Unicode.Scalar(byte)) }
        let strings = [
            "", everyASCII, "plain", "a/b/c", "ünïcödé \u{2028}\u{2029}\u{FEFF}\u{85} 😀 ロゴ", "\"\\\"", "end\u{1}", "\u{7F}\u{1F}",
        ]
        for formatting: JSONEncoder.OutputFormatting in [[.sortedKeys], [.sortedKeys, .withoutEscapingSlashes]] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            for string in strings {
                var json = JSONPieces(formatting: formatting)
                json.string(string)
                #expect(json.bytes == Array(try encoder.encode(string)), "\(string.debugDescription)")
            }
            for number in [Int64.min, -1, 0, 7, Int64.max] {
                var json = JSONPieces(formatting: formatting)
                json.integer(number)
                #expect(json.bytes == Array(try encoder.encode(number)))
            }
            var json = JSONPieces(formatting: formatting)
            json.integer(UInt64.max)
            json.bool(true)
            json.bool(false)
            #expect(json.bytes == Array(try encoder.encode(UInt64.max)) + Array("truefalse".utf8))
        }
    }

    @Test("a commit written in pieces of any size joins to the same bytes, and stops after the last")
    func commitPieces() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let files = Self.files(7)
        for (deletions, hours) in [([String](), nil), (["gone.txt"], HourLogRequest(project: "site", minutes: 30, service: "dev"))] {
            let expected = Array(try encoder.encode(CommitRequestBody(files: files, deletions: deletions, hours: hours)))
            for minimum in [1, 40, 300, 1 << 20] {
                var writer = CommitBodyWriter(deletions: deletions, hours: hours, fileCount: files.count) { files[$0] }
                var joined: [UInt8] = []
                var pieces = 0
                while let piece = try writer.nextPiece(minimumBytes: minimum) {
                    joined += piece
                    pieces += 1
                }
                #expect(joined == expected)
                #expect(try writer.nextPiece(minimumBytes: minimum) == nil)
                // One piece per file at most, plus the opening one.
                #expect(minimum > 1 << 10 ? pieces == 1 : pieces > 1 && pieces <= files.count + 1)
            }
        }
        var empty = CommitBodyWriter(deletions: [], hours: nil, fileCount: 0) { _ in fatalError("no file to ask for") }
        #expect(try empty.nextPiece(minimumBytes: 1) == Array(#"{"deletions":[],"files":[]}"#.utf8))
    }

    @Test("a chunk list has exactly the bytes JSONEncoder with sorted keys gives")
    func chunkList() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for request in [
            ChunkListRequest(ids: []), ChunkListRequest(ids: (0..<5).map { Self.digest(UInt8($0)) }),
            ChunkListRequest(ids: [Self.digest(9)], compression: ChunkCompression.deflate),
            ChunkListRequest(ids: Self.variedDigests(300), compression: ChunkCompression.deflate),
        ] {
            #expect(try request.jsonBytes() == Array(try encoder.encode(request)))
        }
        for response in [MissingChunksResponse(missing: []), MissingChunksResponse(missing: Self.variedDigests(300))] {
            #expect(try response.jsonBytes() == Array(try encoder.encode(response)))
        }
    }

    /// Ids with every hex digit in every position.
    static func variedDigests(_ count: Int) -> [ChunkDigest] {
        (0..<count).map { n in ChunkDigest(bytes: (0..<32).map { UInt8(truncatingIfNeeded: n &* 31 &+ $0 &* 97) })! }
    }

    @Test("chunk lists in their compact form are read without JSONDecoder, to the same values")
    func compactChunkLists() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for request in [
            ChunkListRequest(ids: []), ChunkListRequest(ids: Self.variedDigests(1)),
            ChunkListRequest(ids: Self.variedDigests(500), compression: ChunkCompression.deflate),
        ] {
            let bytes = try encoder.encode(request)
            #expect(bytes.withUnsafeBytes { ChunkListRequest.compactJSON($0) } == request)
        }
        for response in [MissingChunksResponse(missing: []), MissingChunksResponse(missing: Self.variedDigests(500))] {
            let bytes = try encoder.encode(response)
            #expect(bytes.withUnsafeBytes { MissingChunksResponse.compactJSON($0) } == response)
        }
        let id = Self.variedDigests(1)[0].hex
        #expect(Array(#"{"ids":["\#(id.uppercased())"]}"#.utf8).withUnsafeBytes { ChunkListRequest.compactJSON($0) }?.ids.first?.hex == id)
    }

    @Test("any other form of a chunk list is left to JSONDecoder", arguments: [
        #"{ "ids":[] }"#, #"{"ids":[],"compression":"deflate"}"#, #"{"compression":"deflate","ids":[],"x":1}"#,
        #"{"compression":"def\u0061te","ids":[]}"#, #"{"ids":["ab"]}"#, #"{"ids":[]}x"#, #"{"ids":[]"#, #"{"ids":[,]}"#,
        #"{"ids":["zz00000000000000000000000000000000000000000000000000000000000000"]}"#, #"{"ids":null}"#, "",
    ])
    func otherForms(json: String) {
        #expect(Array(json.utf8).withUnsafeBytes { ChunkListRequest.compactJSON($0) } == nil)
        // The decoder still reads the valid ones among them, to the same shape.
        let decoded = try? JSONDecoder().decode(ChunkListRequest.self, from: Data(json.utf8))
        if json.hasPrefix(#"{ "ids""#) || json.hasPrefix(#"{"ids":[],"#) || json.contains(#"\u0061"#) { #expect(decoded != nil) }
    }

    @Test("an export manifest taken in pieces between files joins to the same bytes")
    func exportManifestPieces() throws {
        let files = Self.files(9).map { file in
            ExportedFile(project: "site", path: file.path, version: 1, size: file.size, mode: file.mode,
                         mtimeNs: file.mtimeNs, sha256: file.sha256, phase: file.phase, hourEntry: nil)
        }
        let whole = try ExportManifest.jsonBytes(client: "acme", projects: ["site"], position: 7, files: files, hourEntries: [])
        var writer = try ExportManifest.Writer(client: "acme")
        var joined = writer.takeBytes()
        for (n, file) in files.enumerated() {
            try writer.add(file)
            if n % 3 == 1 {
                #expect(writer.pendingBytes > 0)
                joined += writer.takeBytes()
                #expect(writer.pendingBytes == 0)
            }
        }
        joined += try writer.finish(projects: ["site"], position: 7, hourEntries: [])
        #expect(joined == whole)
    }

    @Test("an export manifest written a file per line decodes to the same manifest")
    func exportManifest() throws {
        let files = Self.files(5).enumerated().map { n, file in
            ExportedFile(project: n % 2 == 0 ? "site" : "video", path: file.path, version: n + 1, size: file.size, mode: file.mode,
                         mtimeNs: file.mtimeNs, sha256: file.sha256, phase: file.phase, hourEntry: n % 2 == 0 ? Int64(n) : nil)
        }
        let bytes = try ExportManifest.jsonBytes(client: "acme", projects: ["site", "video"], position: 42, files: files, hourEntries: [])
        let decoded = try JSONDecoder().decode(ExportManifest.self, from: Data(bytes))
        #expect(decoded == ExportManifest(client: "acme", projects: ["site", "video"], position: 42, files: files, hourEntries: []))
        // One file per line, so a person can read (and grep) a large manifest.
        #expect(String(decoding: bytes, as: UTF8.self).split(separator: "\n").count == files.count + 1)
    }
}
