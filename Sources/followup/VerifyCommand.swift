import ArgumentParser
import ContentStore
import FollowUpServer

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every chunk, check every manifest's chunks exist and every ledger hash chain holds; exit 1 on damage.")

    @Flag(help: "Rebuild the chunk index from the packs' own indexes first.")
    var rebuildIndex = false

    @OptionGroup var storage: StorageOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let bar = ProgressBar(label: "verify", enabled: !output.json)
        defer { bar.finish() }
        let (rebuilt, report, chains) = try await storage.withStorage(logger: try output.logger("followup.verify")) { opened in
            let rebuilt = rebuildIndex ? try await opened.rebuildIndex() : nil
            let report = try await opened.verify { done, total in bar.update(done: Int64(done), total: Int64(total)) }
            return (rebuilt, report, try await opened.verifyLedgerChains())
        }
        let healthy = report.isHealthy && chains.isEmpty
        bar.finish()
        if output.json {
            try Terminal.printJSON(VerifyOutput(healthy: healthy, report: report, rebuild: rebuilt, brokenLedgerChains: chains))
        } else {
            if let rebuilt {
                print("index rebuilt from \(rebuilt.packs) packs, \(rebuilt.chunks) chunks")
                for (pack, reason) in rebuilt.unreadablePacks.sorted(by: { $0.key < $1.key }) { print("unreadable pack \(pack): \(reason)") }
            }
            print("checked \(report.chunks) chunks (\(Terminal.bytes(report.bytes))) in \(report.packs) packs")
            for id in report.corrupt { print("corrupt chunk \(id)") }
            for id in report.missing { print("missing chunk \(id)") }
            for (pack, reason) in report.badPacks.sorted(by: { $0.key < $1.key }) { print("bad pack \(pack): \(reason)") }
            for (client, problem) in chains.sorted(by: { $0.key < $1.key }) { print("ledger of \(client): hash chain broken: \(problem)") }
            print(healthy ? "ok" : "DAMAGED: \(report.corrupt.count) corrupt, \(report.missing.count) missing chunks, \(chains.count) broken ledger chains")
        }
        if !healthy { throw ExitCode(1) }
    }
}

struct VerifyOutput: Encodable {
    var healthy: Bool
    var report: VerifyReport
    var rebuild: RebuildReport?
    var brokenLedgerChains: [String: String]

    enum CodingKeys: String, CodingKey {
        case healthy, report, rebuild
        case brokenLedgerChains = "broken_ledger_chains"
    }
}
