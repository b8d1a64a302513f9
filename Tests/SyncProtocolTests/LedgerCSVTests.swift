import Testing
import SyncProtocol

@Suite("The ledger as CSV")
struct LedgerCSVTests {
    @Test("dates are the UTC calendar day of a Unix time, leap days and years before 1970 included", arguments: [
        (Int64(0), "1970-01-01"), (86_399, "1970-01-01"), (86_400, "1970-01-02"), (951_782_400, "2000-02-29"),
        (1_795_810_080, "2026-11-27"), (-1, "1969-12-31"), (-86_400, "1969-12-31"), (-86_401, "1969-12-30"),
        (4_107_542_400, "2100-03-01"),
    ])
    func dates(unix: Int64, day: String) {
        #expect(LedgerCSV.date(unix) == day)
    }

    @Test("fields with commas, quotes or line breaks are quoted, quotes doubled")
    func quoting() {
        let entry = LedgerEntryInfo(
            seq: 3, project: "site", kind: "debit", minutes: -90, service: "design", note: "logo, \"v2\"\nfinal",
            time: 0, hash: "ab")
        let csv = LedgerCSV.render([entry])
        #expect(csv == LedgerCSV.header + "3,1970-01-01,site,debit,-90,,design,,\"logo, \"\"v2\"\"\nfinal\",,,ab\r\n")
    }
}
