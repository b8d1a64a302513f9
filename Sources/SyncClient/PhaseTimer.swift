import ContentStore
import Logging

/// Logs at debug level how long each phase of a push or pull took (`--log-level debug`).
struct PhaseTimer {
    let logger: Logger
    let message: Logger.Message
    private var start = ContinuousClock.now

    init(logger: Logger, message: Logger.Message) {
        self.logger = logger
        self.message = message
    }

    mutating func finished(_ phase: String) {
        let now = ContinuousClock.now
        logger.debug(message, metadata: ["phase": "\(phase)", "seconds": "\((now - start).inSeconds)"])
        start = now
    }
}
