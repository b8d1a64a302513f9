import ContentStore
import Foundation
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Reads `files.json` as ``SyncState/saveFiles(to:)`` writes it (`{"files":{PATH:RECORD,…},
/// "version":N}`) a few thousand records per decoder call: loading the table of a
/// 100,000-file folder never holds its 30 MB of text, nor the decoder's tree of it.
///
/// Only finds where each record starts and ends (JSON strings and nesting, white space
/// between tokens); `JSONDecoder` decodes the records themselves. A file of another shape
/// is left to ``SyncState`` to decode whole.
struct FileTableReader {
    /// Bytes of records gathered before they are decoded.
    static let batchBytes = 256 << 10

    private let fd: Int32
    private let path: String
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0

    /// The table, or nil when the file does not start as `saveFiles` writes it.
    static func load(_ path: String) throws -> (files: [String: SyncState.FileRecord], version: Int)? {
        var reader = try FileTableReader(path: path)
        return try reader.read()
    }

    private init(path: String) throws {
        self.path = path
        fd = try FileIO.open(path, O_RDONLY)
    }

    private func close() { FileIO.close(fd) }

    private mutating func read() throws -> (files: [String: SyncState.FileRecord], version: Int)? {
        defer { close() }
        for byte in Array(#"{"files":"#.utf8) {
            skipWhitespace()
            guard try next() == byte else { return nil }
        }
        skipWhitespace()
        guard try next() == UInt8(ascii: "{") else { return nil }
        var files: [String: SyncState.FileRecord] = [:]
        var batch: [UInt8] = [UInt8(ascii: "{")]
        func decodeBatch() throws {
            guard batch.count > 1 else { return }
            batch.append(UInt8(ascii: "}"))
            let records = try JSONDecoder().decode([String: SyncState.FileRecord].self, from: Data(batch))
            files.merge(records) { _, new in new }
            batch = [UInt8(ascii: "{")]
        }
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            _ = try next()
        } else {
            while true {
                if batch.count > 1 { batch.append(UInt8(ascii: ",")) }
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw damaged }
                try copyValue(into: &batch)
                skipWhitespace()
                guard try next() == UInt8(ascii: ":") else { throw damaged }
                batch.append(UInt8(ascii: ":"))
                skipWhitespace()
                try copyValue(into: &batch)
                if batch.count >= Self.batchBytes { try decodeBatch() }
                skipWhitespace()
                let separator = try next()
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { throw damaged }
            }
        }
        try decodeBatch()
        // The rest, `,"version":N}`, is small: decoded as an object of its own.
        var rest: [UInt8] = [UInt8(ascii: "{")]
        skipWhitespace()
        guard try next() == UInt8(ascii: ",") else { throw damaged }
        while let byte = peek() {
            rest.append(byte)
            _ = try next()
        }
        struct Rest: Decodable { var version: Int }
        guard let version = try? JSONDecoder().decode(Rest.self, from: Data(rest)).version else { throw damaged }
        return (files, version)
    }

    private var damaged: SyncError { .damagedState(path: path) }

    /// The next byte, reading more of the file when the buffer is spent; nil at the end.
    private mutating func peek() -> UInt8? {
        if start == end {
            let count = buffer.count
            guard let n = try? buffer.withUnsafeMutableBytes({ try FileIO.read(fd, into: $0, path: path) }), n > 0 else { return nil }
            start = 0
            end = min(n, count)
        }
        return buffer[start]
    }

    private mutating func next() throws -> UInt8 {
        guard let byte = peek() else { throw damaged }
        start += 1
        return byte
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), JSONValueScan.isWhitespace(byte) { start += 1 }
    }

    /// Copies one JSON value (a string, an object or array with everything in it, a
    /// number or a literal) into `out`, as it is.
    private mutating func copyValue(into out: inout [UInt8]) throws {
        guard let first = peek(), JSONValueScan.canStart(first) else { throw damaged }
        var scan = JSONValueScan()
        while let byte = peek() {
            switch scan.next(byte) {
            case .more:
                out.append(byte)
                start += 1
            case .done:
                out.append(byte)
                start += 1
                return
            case .endedBefore:
                return
            }
        }
        throw damaged
    }
}
