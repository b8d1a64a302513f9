import Foundation
import Testing
@testable import SyncClient
#if canImport(Glibc)
import Glibc
#endif

/// The `followup` executable killed with SIGKILL in the middle of a pull, then run again.
@Suite("A pull killed mid-way")
struct PullKillTests {
    /// The `followup` built with the tests (`swift test` builds every product).
    func executable() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/followup").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the followup executable first (swift build)")
        return path
    }

    func pull(_ binary: String, folder: String, server: LiveServer) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["pull", folder, "--client", "acme", "--server", server.url, "--token", server.acmeToken, "--json"]
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }

    @Test("kill -9 while contents arrive: no partial file under a final name, the rerun completes, trees equal")
    func killAndResume() async throws {
        let binary = try executable()
        try await LiveServer.run { server in
            let source = server.root + "/staff"
            for index in 0..<24 {
                try TestTree.write(source, "renders/frame-\(index).raw", TestTree.bytes(1_000_000, seed: UInt64(index + 1)))
            }
            _ = try await server.pusher().push(directory: source, client: "acme", project: "site")
            // Kill once a few contents are assembled (hidden `.followup-…` files beside their
            // targets, written to their full size). On a loaded machine the pull may finish
            // first: try again, fresh.
            var folder = ""
            var killed = false
            for attempt in 1...3 where !killed {
                folder = server.root + "/client-\(attempt)"
                let first = try pull(binary, folder: folder, server: server)
                let renders = folder + "/site/renders"
                let deadline = ContinuousClock.now + .seconds(30)
                func assembled() -> Int {
                    ((try? FileManager.default.contentsOfDirectory(atPath: renders)) ?? []).filter { name in
                        let size = (try? FileManager.default.attributesOfItem(atPath: renders + "/" + name)[.size] as? Int) ?? 0
                        return name.hasPrefix(".followup-") && size == 1_000_000
                    }.count
                }
                while assembled() < 3 && first.isRunning && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(1))
                }
                kill(first.processIdentifier, SIGKILL)
                first.waitUntilExit()
                killed = first.terminationReason == .uncaughtSignal
            }
            try #require(killed, "the pull finished three times before it could be killed")

            for (path, bytes) in try TestTree.snapshot(folder + "/site") where bytes != Array("/".utf8) {
                guard !path.split(separator: "/").last!.hasPrefix(".followup-") else { continue }
                #expect(bytes == (try TestTree.read(source, path)), "\(path) is under its final name but not whole")
            }
            #expect(try SyncState.loadPosition(from: folder).cursor == 0)

            let second = try pull(binary, folder: folder, server: server)
            let output = (second.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            second.waitUntilExit()
            #expect(second.terminationStatus == 0)
            #expect(try TestTree.snapshot(folder + "/site") == (try TestTree.snapshot(source)))
            let summary = try JSONDecoder().decode(PullSummary.self, from: output)
            #expect(summary.reusedBytes >= 2_000_000, "what the killed pull had assembled is not fetched again")
            #expect(summary.fetchedBytes + summary.reusedBytes == 24_000_000)
        }
    }
}
