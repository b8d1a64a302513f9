/// The ledger as a spreadsheet reads it: `followup ledger --csv` prints it, a pull keeps
/// `LEDGER.csv` in the client's folder and an export puts it in the tar, all in this shape.
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
        // Howard Hinnant's days-to-civil, so this needs no calendar library.
        let days = unix >= 0 ? unix / 86_400 : (unix - 86_399) / 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    private static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        var quoted = "\""
        for character in value {
            quoted.append(character)
            if character == "\"" { quoted.append("\"") }
        }
        return quoted + "\""
    }
}
