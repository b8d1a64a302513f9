import Configuration
import ContentStore
import Foundation
import Logging
import SystemPackage

/// Follow Up's settings, read from `config/followup.yaml` (or `--config`,
/// `FOLLOWUP_CONFIG`) with `FOLLOWUP_*` environment variables overriding any key.
/// Defaults match the shipped file, so a missing default file still runs.
public struct FollowUpConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The data directory.
    public var storagePath = "storage"
    /// Catalog database location; nil for `<storagePath>/catalog.sqlite`.
    public var databaseURL: String?
    public var chunking = ChunkerParameters.standard
    public var packSize = StoreConfiguration.defaultPackSize
    public var gcGrace = Duration.seconds(3600)
    public var repackThresholdPercent = 50
    public var currency = "EUR"
    public var hourlyRateCents = 6000
    public var vatPercent = 22
    public var monthlyDiscountPercent = 40
    public var monthlyMinimumMonths = 3
    public var monthlyCarryOver = true
    public var oneTimeDiscountPercent = 45
    public var oneTimeBonusPercent = 10
    public var budgetThresholdsPercent = [80, 100]
    /// First-response targets of support tickets, in minutes.
    public var monthlyResponseWorkingMinutes = 240
    public var oneTimeResponseMinutes = 60
    public var logLevel = Logger.Level.info

    public init() {}

    public static let defaultFile = "config/followup.yaml"

    /// Loads `file` (required if given) or the default file (optional), then the environment.
    public static func load(file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> FollowUpConfiguration {
        let explicit = file ?? environment["FOLLOWUP_CONFIG"]
        let path = explicit ?? defaultFile
        let yaml: FileProvider<YAMLSnapshot>
        do {
            yaml = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path), allowMissing: explicit == nil)
        } catch {
            throw ConfigurationError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not valid YAML" : "no such file")
        }
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "followup"),
            yaml,
        ])
        return try FollowUpConfiguration(reader: reader)
    }

    init(reader config: ConfigReader) throws {
        host = config.string(forKey: "server.host", default: host)
        port = config.int(forKey: "server.port", default: port)
        storagePath = config.string(forKey: "storage.path", default: storagePath)
        databaseURL = config.string(forKey: "storage.database").flatMap { $0.isEmpty ? nil : $0 }
        chunking = ChunkerParameters(
            minSize: config.int(forKey: "chunking.min_size", default: chunking.minSize),
            averageSize: config.int(forKey: "chunking.average_size", default: chunking.averageSize),
            maxSize: config.int(forKey: "chunking.max_size", default: chunking.maxSize))
        packSize = config.int(forKey: "chunking.pack_size", default: packSize)
        gcGrace = .seconds(config.int(forKey: "gc.grace_seconds", default: 3600))
        repackThresholdPercent = config.int(forKey: "gc.repack_threshold_percent", default: repackThresholdPercent)
        currency = config.string(forKey: "billing.currency", default: currency)
        hourlyRateCents = config.int(forKey: "billing.hourly_rate_cents", default: hourlyRateCents)
        vatPercent = config.int(forKey: "billing.vat_percent", default: vatPercent)
        monthlyDiscountPercent = config.int(forKey: "plans.monthly.discount_percent", default: monthlyDiscountPercent)
        monthlyMinimumMonths = config.int(forKey: "plans.monthly.minimum_months", default: monthlyMinimumMonths)
        monthlyCarryOver = config.bool(forKey: "plans.monthly.carry_over", default: monthlyCarryOver)
        oneTimeDiscountPercent = config.int(forKey: "plans.one_time.discount_percent", default: oneTimeDiscountPercent)
        oneTimeBonusPercent = config.int(forKey: "plans.one_time.bonus_percent", default: oneTimeBonusPercent)
        budgetThresholdsPercent = config.intArray(forKey: "alerts.budget_thresholds_percent", default: budgetThresholdsPercent)
        monthlyResponseWorkingMinutes = config.int(forKey: "support.monthly_response_working_minutes", default: monthlyResponseWorkingMinutes)
        oneTimeResponseMinutes = config.int(forKey: "support.one_time_response_minutes", default: oneTimeResponseMinutes)
        let level = config.string(forKey: "logging.level", default: "info")
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ConfigurationError.invalid(key: "logging.level", reason: "\"\(level)\" is not a log level")
        }
        logLevel = parsed
        try validate()
    }

    func validate() throws {
        guard (1...65535).contains(port) else { throw ConfigurationError.invalid(key: "server.port", reason: "must be 1-65535") }
        guard !storagePath.isEmpty else { throw ConfigurationError.invalid(key: "storage.path", reason: "must not be empty") }
        do { try chunking.validate() } catch {
            throw ConfigurationError.invalid(key: "chunking", reason: "\(error)")
        }
        guard (1 << 20...1 << 30).contains(packSize) else {
            throw ConfigurationError.invalid(key: "chunking.pack_size", reason: "must be between 1 MiB and 1 GiB")
        }
        guard (0...100).contains(repackThresholdPercent) else {
            throw ConfigurationError.invalid(key: "gc.repack_threshold_percent", reason: "must be 0-100")
        }
        for (key, value) in [("billing.vat_percent", vatPercent), ("plans.monthly.discount_percent", monthlyDiscountPercent),
                             ("plans.one_time.discount_percent", oneTimeDiscountPercent), ("plans.one_time.bonus_percent", oneTimeBonusPercent)]
        where !(0...100).contains(value) {
            throw ConfigurationError.invalid(key: key, reason: "must be 0-100")
        }
        guard monthlyResponseWorkingMinutes > 0, oneTimeResponseMinutes > 0 else {
            throw ConfigurationError.invalid(key: "support", reason: "response targets must be positive minutes")
        }
        guard budgetThresholdsPercent.allSatisfy({ (1...100).contains($0) }) else {
            throw ConfigurationError.invalid(key: "alerts.budget_thresholds_percent", reason: "each threshold must be 1-100")
        }
        guard hourlyRateCents >= 0 else { throw ConfigurationError.invalid(key: "billing.hourly_rate_cents", reason: "must not be negative") }
    }
}

public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read configuration \(path): \(reason)"
        case let .invalid(key, reason): "configuration \(key): \(reason)"
        }
    }
}
