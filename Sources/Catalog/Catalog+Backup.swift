import Foundation
import NIOCore
import SQLKit
import SQLiteNIO

/// What a catalog dump held, or what a load put back.
public struct CatalogDumpSummary: Sendable, Hashable {
    public var tables: Int
    public var rows: Int
}

extension Catalog {
    static let dumpFormat = 1
    private static let dumpPage = 2000

    /// Writes every table, row by row, as JSON lines to `path`, from one read transaction:
    /// a consistent picture even while another process (the server) writes. The first
    /// line is `{"format": 1, "migrations": [...]}`, then one `{"table", "row"}` per row.
    /// Values: JSON null, integers, strings; `{"real": x}` for floats and `{"base64": …}`
    /// for blobs. Memory holds one page of rows.
    public func dump(to path: String) async throws -> CatalogDumpSummary {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw CatalogError.database("cannot create \(path)") }
        defer { try? handle.close() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try await rawTransaction(begin: "BEGIN") { connection in
            let migrations = try await connection.query("SELECT name FROM schema_migrations ORDER BY name")
                .compactMap { $0.column("name")?.string }
            try handle.write(contentsOf: try encoder.encode(DumpHeader(format: Self.dumpFormat, migrations: migrations)) + [0x0A])
            let tables = try await Self.tableNames(connection).filter { $0 != "schema_migrations" }
            var rows = 0
            for table in tables {
                var after: Int64 = .min
                while true {
                    let page = try await connection.query(
                        "SELECT rowid AS \"__rowid\", * FROM \"\(table)\" WHERE rowid > ? ORDER BY rowid LIMIT \(Self.dumpPage)",
                        [.integer(Int(after))])
                    guard let last = page.last?.column("__rowid")?.integer else { break }
                    var lines = Data()
                    for row in page {
                        var values: [String: DumpValue] = [:]
                        for column in row.columns where column.name != "__rowid" { values[column.name] = DumpValue(column.data) }
                        lines += try encoder.encode(DumpLine(table: table, row: values))
                        lines.append(0x0A)
                    }
                    try handle.write(contentsOf: lines)
                    rows += page.count
                    after = Int64(last)
                }
            }
            try handle.synchronize()
            return CatalogDumpSummary(tables: tables.count, rows: rows)
        }
    }

    /// Loads a ``dump(to:)`` into this catalog, which must be freshly migrated and empty,
    /// with the same migrations as the dump's. One transaction: all or nothing; foreign
    /// keys are checked at its end, so table order does not matter.
    public func load(dumpAt path: String) async throws -> CatalogDumpSummary {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CatalogError.invalid("cannot read \(path)") }
        defer { try? handle.close() }
        let lines = LineReader(handle: handle)
        guard let first = try lines.next(), let header = try? JSONDecoder().decode(DumpHeader.self, from: first),
              header.format == Self.dumpFormat
        else { throw CatalogError.invalid("\(path) is not a catalog dump of this version") }
        return try await rawTransaction(begin: "BEGIN IMMEDIATE") { connection in
            let applied = try await connection.query("SELECT name FROM schema_migrations ORDER BY name")
                .compactMap { $0.column("name")?.string }
            guard Set(applied) == Set(header.migrations) else {
                throw CatalogError.invalid("the dump's schema (\(header.migrations.count) migrations) is not this version's (\(applied.count))")
            }
            for table in try await Self.tableNames(connection) where table != "schema_migrations" {
                guard try await connection.query("SELECT 1 FROM \"\(table)\" LIMIT 1").isEmpty else {
                    throw CatalogError.conflict("the catalog is not empty (table \(table) has rows); restore into a new storage")
                }
            }
            _ = try await connection.query("PRAGMA defer_foreign_keys = ON")
            let known = Set(try await Self.tableNames(connection))
            let decoder = JSONDecoder()
            var tables = Set<String>()
            var rows = 0
            while let line = try lines.next() {
                guard let entry = try? decoder.decode(DumpLine.self, from: line), known.contains(entry.table) else {
                    throw CatalogError.invalid("line \(rows + 2) of \(path) is not a row of a known table")
                }
                let columns = entry.row.keys.sorted()
                let names = columns.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: ", ")
                let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                _ = try await connection.query(
                    "INSERT INTO \"\(entry.table)\" (\(names)) VALUES (\(marks))", columns.map { entry.row[$0]!.sqlite })
                tables.insert(entry.table)
                rows += 1
            }
            return CatalogDumpSummary(tables: tables.count, rows: rows)
        }
    }

    private static func tableNames(_ connection: SQLiteConnection) async throws -> [String] {
        try await connection.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .compactMap { $0.column("name")?.string }
    }
}

private struct DumpHeader: Codable {
    var format: Int
    var migrations: [String]
}

private struct DumpLine: Codable {
    var table: String
    var row: [String: DumpValue]
}

/// A column value as the dump writes it.
private enum DumpValue: Codable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    init(_ data: SQLiteData) {
        switch data {
        case let .integer(value): self = .integer(Int64(value))
        case let .float(value): self = .real(value)
        case let .text(value): self = .text(value)
        case let .blob(buffer): self = .blob(Data(buffer.readableBytesView))
        case .null: self = .null
        }
    }

    var sqlite: SQLiteData {
        switch self {
        case .null: .null
        case let .integer(value): .integer(Int(value))
        case let .real(value): .float(value)
        case let .text(value): .text(value)
        case let .blob(data): .blob(ByteBuffer(bytes: data))
        }
    }

    private enum Key: String, CodingKey { case real, base64 }

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: Key.self) {
            if let real = try container.decodeIfPresent(Double.self, forKey: .real) {
                self = .real(real)
            } else if let text = try container.decodeIfPresent(String.self, forKey: .base64), let data = Data(base64Encoded: text) {
                self = .blob(data)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown value"))
            }
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Int64.self) {
            self = .integer(value)
        } else {
            self = .text(try single.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case let .integer(value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case let .text(value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case let .real(value):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(value, forKey: .real)
        case let .blob(data):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(data.base64EncodedString(), forKey: .base64)
        }
    }
}

/// Lines of a file, read a megabyte at a time. Used by one task at a time.
private final class LineReader: @unchecked Sendable {
    let handle: FileHandle
    private var buffer = Data()
    private var atEnd = false

    init(handle: FileHandle) { self.handle = handle }

    func next() throws -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return Data(line)
            }
            if atEnd { return buffer.isEmpty ? nil : buffer.popAll() }
            let more = try handle.read(upToCount: 1 << 20) ?? Data()
            if more.isEmpty { atEnd = true } else { buffer += more }
        }
    }
}

private extension Data {
    mutating func popAll() -> Data {
        defer { self = Data() }
        return self
    }
}
