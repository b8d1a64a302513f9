import ContentStore
import Foundation
import SyncProtocol

/// The client's ledger inside its folder: `LEDGER.csv` at the top for people and
/// spreadsheets, `.followup/ledger.jsonl` (one entry per line, as the API returns it)
/// for scripts. New entries from the feed are merged by sequence number, so an
/// interrupted pull that replays the feed never writes an entry twice; both files are
/// replaced atomically.
enum LedgerFolderFiles {
    static let csvName = "LEDGER.csv"
    static let jsonName = "ledger.jsonl"

    static func jsonPath(in folder: String) -> String { folder + "/" + SyncState.directoryName + "/" + jsonName }

    /// Merges `entries` in; returns how many were new. Writes `LEDGER.csv` even when
    /// there are none yet, so a synced folder always has one.
    @discardableResult
    static func update(folder: String, with entries: [LedgerEntryInfo]) throws -> Int {
        let csvPath = folder + "/" + csvName
        var known = try load(folder: folder)
        let before = known.count
        for entry in entries { known[entry.seq] = entry }
        let added = known.count - before
        guard added > 0 || !FileManager.default.fileExists(atPath: csvPath) else { return 0 }
        let sorted = known.values.sorted { $0.seq < $1.seq }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines: [UInt8] = []
        for entry in sorted {
            lines += try encoder.encode(entry)
            lines.append(UInt8(ascii: "\n"))
        }
        try FileIO.writeAtomically(lines, to: jsonPath(in: folder))
        try FileIO.writeAtomically(Array(LedgerCSV.render(sorted).utf8), to: csvPath)
        return added
    }

    static func load(folder: String) throws -> [Int64: LedgerEntryInfo] {
        let path = jsonPath(in: folder)
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        var entries: [Int64: LedgerEntryInfo] = [:]
        let decoder = JSONDecoder()
        for line in try FileIO.readAll(path).split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let entry = try? decoder.decode(LedgerEntryInfo.self, from: Data(line)) else {
                throw SyncError.damagedState(path: path)
            }
            entries[entry.seq] = entry
        }
        return entries
    }
}
