import Foundation

/// The name a server version gets beside a file the user changed locally:
/// `NAME (server YYYY-MM-DD HHMM).EXT`, in the local time zone, with " 2", " 3"…
/// added inside the parentheses if that name is taken.
enum ConflictName {
    static func make(for path: String, serverTime: Int64, timeZone: TimeZone = .current, isTaken: (String) -> Bool) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // A leading dot is a hidden file's name, not an extension.
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        let stamp = timestamp(serverTime, timeZone: timeZone)
        var attempt = 1
        while true {
            let suffix = attempt == 1 ? "" : " \(attempt)"
            let candidate = directory + stem + " (server \(stamp)\(suffix))" + ext
            if !isTaken(candidate) { return candidate }
            attempt += 1
        }
    }

    static func timestamp(_ unix: Int64, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: TimeInterval(unix)))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2)) \(pad(parts.hour, 2))\(pad(parts.minute, 2))"
    }
}
