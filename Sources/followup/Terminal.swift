import ContentStore
import Foundation
import Logging
import Synchronization

/// Output helpers shared by the commands: JSON, human figures, logging, progress.
enum Terminal {
    private static let bootstrap: Void = LoggingSystem.bootstrap(StreamLogHandler.standardError)

    static func logger(label: String, level: Logger.Level) -> Logger {
        _ = bootstrap
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Pushes buffered stdout out now (stdout is block-buffered when piped to a log).
    static func flush() { fflush(nil) }

    /// Writes all of `bytes` to `fd` (a file or standard output), retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to name: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw CLIError("cannot write \(name): \(String(cString: strerror(errno)))")
        }
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second; silent
/// unless stderr is a terminal (and never in `--json` mode).
final class ProgressBar: Sendable {
    private struct State {
        var lastDraw = ContinuousClock.now - .seconds(1)
        var drawn = false
        let started = ContinuousClock.now
    }

    private let enabled: Bool
    private let label: String
    private let state = Mutex(State())

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled && Terminal.stderrIsTerminal
    }

    /// `done` of `total` units; `bytes` (optional) gives a rate and ETA.
    func update(done: Int64, total: Int64, bytes: (done: Int64, total: Int64)? = nil, force: Bool = false) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            let now = ContinuousClock.now
            guard force || now - state.lastDraw >= .milliseconds(100) else { return nil }
            state.lastDraw = now
            state.drawn = true
            let elapsed = now - state.started
            let seconds = max(0.001, elapsed.inSeconds)
            // Bytes say more than file counts when a few large files dominate.
            let fraction = if let bytes, bytes.total > 0 {
                min(1, Double(bytes.done) / Double(bytes.total))
            } else {
                total > 0 ? min(1, Double(done) / Double(total)) : 1
            }
            let width = 30
            let filled = Int(fraction * Double(width))
            var text = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] \(done)/\(total)"
            if let bytes, bytes.done > 0 {
                let rate = Double(bytes.done) / seconds
                let remaining = rate > 0 ? Double(bytes.total - bytes.done) / rate : 0
                text += "  \(Terminal.bytes(bytes.done))/\(Terminal.bytes(bytes.total))  \(Terminal.bytes(Int64(rate)))/s  ETA \(Int(remaining.rounded()))s"
            }
            return text
        }
        if let line { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
    }

    /// Clears the bar.
    func finish() {
        let drawn = state.withLock { state in
            defer { state.drawn = false }
            return state.drawn
        }
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// A failure while running a command (not bad arguments): printed as its message.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
