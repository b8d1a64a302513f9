import Foundation
import SyncProtocol

/// The ledger as a spreadsheet reads it: `followup ledger --csv` prints it and a pull
/// keeps `LEDGER.csv` in the client's folder in the same shape.
public enum LedgerCSV {
    public static let header = "seq,date,project,kind,minutes,cents,service,phase,note,reference,overage_minutes,hash\r\n"

    /// RFC 4180: fields quoted when they hold a comma, a quote or a line break.
    public static func render(_ entries: [LedgerEntryInfo]) -> String {
        var out = header
        for e in entries {
            out += [String(e.seq), date(e.time), e.project, e.kind, String(e.minutes), e.cents.map(String.init) ?? "",
                    e.service ?? "", e.phase ?? "", e.note ?? "", e.reference ?? "", e.overageMinutes.map(String.init) ?? "", e.hash]
                .map(field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// `YYYY-MM-DD` (UTC) of a Unix time.
    public static func date(_ unix: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
    }

    private static func field(_ value: String) -> String {
        value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}
