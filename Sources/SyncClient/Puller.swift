import ContentStore
import Foundation
import Logging
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A client's pull of its folder: `<folder>/<project>/<path>`, `LEDGER.csv` at the top,
/// local state in `<folder>/.followup/`.
///
/// 1. Read the change feed from the folder's cursor to its end, keeping the last word
///    on each path (``PullPlan``). Nothing to do: that one request is the whole pull.
/// 2. Assemble every new content in `.followup/partial/` (``FileMaterializer``): chunks
///    any unchanged local file holds are copied, the rest fetched in a few streamed
///    requests; each content is hash-checked, then everything is made durable at once.
/// 3. Deletions, then installs: a file goes into place by rename, with the server's
///    mode and mtime. A file the user changed is never overwritten or deleted: the
///    server's version goes beside it (``ConflictName``) and the conflict is reported.
/// 4. The ledger files, then the state, then the cursor: a pull killed anywhere
///    resumes from the old cursor and reuses what it had already assembled.
public struct Puller: Sendable {
    public let api: APIClient
    /// Ask the server to deflate compressible chunks (pays on a real network, not on loopback).
    public let compression: Bool
    let logger: Logger

    public init(api: APIClient, compression: Bool, logger: Logger) {
        self.api = api
        self.compression = compression
        self.logger = logger
    }

    /// Whether deflate pays for a server at `url`: not when it is this machine.
    public static func compressionPays(for url: String) -> Bool {
        guard let host = URL(string: url)?.host?.lowercased() else { return true }
        return !(host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127."))
    }

    public func pull(
        folder: String, client requested: String?, progress: (@Sendable (PullProgress) -> Void)? = nil
    ) async throws -> PullSummary {
        try FileIO.makeDirectories(folder)
        let lock = try FolderLock(folder: folder)
        defer { withExtendedLifetime(lock) {} }

        let position = try SyncState.loadPosition(from: folder)
        let client = try await resolveClient(requested: requested, synced: position.client, folder: folder)
        var plan = PullPlan(cursor: position.cursor)
        var since = position.cursor
        while true {
            let page = try await api.pullFeed(client: client, query: ChangesQuery(since: since, limit: ChangesQuery.maxLimit)!)
            for event in page.events where event.seq > since { try plan.apply(event) }
            guard page.more else { break }
            guard page.next > since else { throw RemoteError.badResponse("the change feed did not move past \(since)") }
            since = page.next
        }

        var summary = PullSummary(client: client, cursor: plan.cursor)
        let csvExists = FileIO.exists(folder + "/" + LedgerFolderFiles.csvName)
        if plan.changes.isEmpty && plan.ledger.isEmpty && plan.cursor == position.cursor && position.client == client && csvExists {
            return summary
        }

        var state = try SyncState.load(from: folder)
        state.client = client
        if !plan.changes.isEmpty {
            var run = PullRun(folder: folder, api: api, compression: compression, plan: plan, state: state, logger: logger, progress: progress)
            try await run.apply(into: &summary)
            state = run.state
        }
        summary.ledgerEntries = try LedgerFolderFiles.update(folder: folder, with: plan.ledger)
        state.cursor = plan.cursor
        state.position.ledgerSequence = max(state.position.ledgerSequence, plan.ledger.map(\.seq).max() ?? 0)
        try state.save(to: folder)
        logger.info("pulled", metadata: [
            "client": "\(client)", "cursor": "\(plan.cursor)", "written": "\(summary.filesWritten)",
            "fetched_bytes": "\(summary.fetchedBytes)", "conflicts": "\(summary.conflicts.count)",
        ])
        return summary
    }

    /// The folder's client: the one it was synced with (another is refused), else the
    /// one asked for, else the only client the token can see.
    private func resolveClient(requested: String?, synced: String?, folder: String) async throws -> String {
        if let synced {
            if let requested, requested != synced { throw SyncError.clientMismatch(folder: folder, synced: synced, requested: requested) }
            return synced
        }
        if let requested { return requested }
        let visible = try await api.clients()
        guard visible.count == 1 else { throw SyncError.noClient }
        return visible[0].slug
    }
}

/// One pull's file work, with the state it updates as files land.
private struct PullRun {
    let folder: String
    let api: APIClient
    let compression: Bool
    let plan: PullPlan
    var state: SyncState
    let logger: Logger
    let progress: (@Sendable (PullProgress) -> Void)?

    private var partialDirectory: String { folder + "/" + SyncState.directoryName + "/partial" }
    /// Whole-file checks running beside the transfer.
    static let checksInFlight = 8
    /// Parents known to be real folders (created or checked), relative.
    private var knownFolders = Set<String>()
    private var lastSave = ContinuousClock.now

    init(
        folder: String, api: APIClient, compression: Bool, plan: PullPlan, state: SyncState, logger: Logger,
        progress: (@Sendable (PullProgress) -> Void)?
    ) {
        self.folder = folder
        self.api = api
        self.compression = compression
        self.plan = plan
        self.state = state
        self.logger = logger
        self.progress = progress
    }

    mutating func apply(into summary: inout PullSummary) async throws {
        let paths = plan.changes.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var puts: [(path: String, version: RemoteVersion)] = []
        var deletions: [String] = []
        for path in paths {
            switch plan.changes[path]! {
            case let .put(version): puts.append((path, version))
            case .delete: deletions.append(path)
            }
        }

        // 2. Assemble every content that is not already in place.
        var jobs: [FileMaterializer.Job] = []
        var queued = Set<ChunkID>()
        for (path, version) in puts where !version.isDirectory && !isInPlace(path, version) {
            if queued.insert(version.sha256).inserted {
                jobs.append(.init(sha256: version.sha256, size: version.size, chunks: version.chunks))
            }
        }
        var timer = PhaseTimer(logger: logger, message: "pull phase done")
        // Only a pull that assembles something needs to know what the folder holds.
        let materializer = try FileMaterializer(directory: partialDirectory, index: jobs.isEmpty ? LocalChunkIndex() : localChunks())
        // Each content next to the first path that needs it (the folder is made now; a
        // file in the way, gone after the deletions, sends it to .followup/partial).
        var firstPath: [ChunkID: String] = [:]
        for (path, version) in puts where !version.isDirectory && firstPath[version.sha256] == nil {
            firstPath[version.sha256] = path
        }
        for job in jobs {
            guard let path = firstPath[job.sha256], (try? ensureParents(of: path)) != nil else { continue }
            materializer.placements[job.sha256] = FileIO.parent(of: folder + "/" + path)
        }
        try rememberPartials(jobs.map { materializer.path(for: $0.sha256) })
        if !jobs.isEmpty {
            let (fetched, wire) = try await assemble(jobs, with: materializer, filesTotal: puts.count + deletions.count)
            summary.fetchedBytes = fetched
            summary.transferredBytes = wire
            summary.reusedBytes = materializer.reusedBytes
            timer.finished("assemble")
            try FileIO.syncFileSystem(folder)
            timer.finished("sync")
        }

        // 3. Deletions first (a file may become a folder), then installs.
        var filesDone = 0
        for path in deletions.reversed() {
            try delete(path, into: &summary)
            filesDone += 1
            try checkpoint(filesDone: filesDone, filesTotal: paths.count)
        }
        var usesLeft: [ChunkID: Int] = [:]
        for (_, version) in puts where !version.isDirectory { usesLeft[version.sha256, default: 0] += 1 }
        for (path, version) in puts {
            try put(path, version, source: materializer, usesLeft: &usesLeft, into: &summary)
            filesDone += 1
            try checkpoint(filesDone: filesDone, filesTotal: paths.count)
        }
        timer.finished("install")
        try FileIO.syncFileSystem(folder)
        timer.finished("sync")
        try forgetPartials()
    }

    // MARK: Partial contents

    private var partialsList: String { folder + "/" + SyncState.directoryName + "/partials.json" }

    /// Notes where this pull assembles contents, before it starts: if it is killed and
    /// the next pull plans differently, that one still finds and removes them.
    private func rememberPartials(_ paths: [String]) throws {
        var known = Set(loadPartials())
        known.formUnion(paths)
        try FileIO.writeAtomically(Array(try JSONEncoder().encode(known.sorted())), to: partialsList)
    }

    private func loadPartials() -> [String] {
        guard let bytes = try? FileIO.readAll(partialsList) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
    }

    /// Removes whatever the pulls noted in the list left behind (after a complete pull,
    /// only leftovers of interrupted ones), then the list.
    private func forgetPartials() throws {
        for path in loadPartials() where FileIO.parent(of: path).hasPrefix(folder) {
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            guard name.hasPrefix(FileMaterializer.prefix) else { continue }
            for suffix in ["", ".part", ".copy"] { try? FileIO.unlink(path + suffix) }
        }
        try FileIO.unlink(partialsList)
        try? FileManager.default.removeItem(atPath: partialDirectory)
    }

    // MARK: Assembling

    /// Offers the chunks of every synced file still as the last pull left it.
    private func localChunks() -> LocalChunkIndex {
        let index = LocalChunkIndex()
        for (path, record) in state.files where !record.directory && !record.chunks.isEmpty {
            let absolute = folder + "/" + path
            if let status = try? FileIO.linkStatus(absolute), Self.matches(status, record) {
                index.add(record.chunks, in: ChunkSourceFile(path: absolute))
            }
        }
        return index
    }

    private func assemble(
        _ jobs: [FileMaterializer.Job], with materializer: FileMaterializer, filesTotal: Int
    ) async throws -> (fetched: Int64, wire: Int64) {
        let (steps, remote) = materializer.plan(jobs, useLocal: true)
        let bytesTotal = steps.reduce(Int64(0)) { total, step in
            total + step.job.chunks[step.resumedChunks...].reduce(Int64(0)) { $0 + Int64($1.length) }
        }
        var bytesDone: Int64 = 0
        let report = progress
        let stream = RemoteChunkStream(api: api, chunks: remote, compression: compression)
        var failed: [FileMaterializer.Job] = []
        // Contents are written here as the chunks arrive, and hash-checked in child tasks
        // (on the other cores), settled under their final name only once all are written:
        // a later content may still be copying chunks from an earlier one's `.part` file.
        var checked: [(FileMaterializer.Job, FileMaterializer.Written, Bool)] = []
        try await withThrowingTaskGroup(of: (Int, FileMaterializer.Written, Bool).self) { group in
            var running = 0
            for (number, step) in steps.enumerated() {
                let written = try await materializer.write(step, remote: stream) { bytes in
                    bytesDone += bytes
                    report?(PullProgress(filesDone: number, filesTotal: filesTotal, bytesDone: bytesDone, bytesTotal: bytesTotal))
                }
                guard let written else {
                    failed.append(step.job)
                    continue
                }
                if running == Self.checksInFlight, let (done, result, ok) = try await group.next() {
                    checked.append((steps[done].job, result, ok))
                    running -= 1
                }
                group.addTask { (number, written, FileMaterializer.check(written)) }
                running += 1
            }
            for try await (done, result, ok) in group { checked.append((steps[done].job, result, ok)) }
        }
        try await stream.finish()
        for (job, written, ok) in checked {
            try materializer.settle(written, ok: ok)
            if !ok { failed.append(job) }
        }
        var fetched = stream.fetchedBytes
        var wire = stream.wireBytes
        guard !failed.isEmpty else { return (fetched, wire) }

        // A local file changed under the pull: fetch those contents whole, once more.
        logger.info("refetching contents whose local sources changed", metadata: ["count": "\(failed.count)"])
        let retry = try FileMaterializer(directory: partialDirectory, index: LocalChunkIndex())
        retry.placements = materializer.placements
        let (retrySteps, retryRemote) = retry.plan(failed, useLocal: false)
        let retryStream = RemoteChunkStream(api: api, chunks: retryRemote, compression: compression)
        for step in retrySteps {
            guard try await retry.run(step, remote: retryStream, progress: { _ in }) else {
                throw SyncError.integrity("the server's content \(step.job.sha256.hex.prefix(16))… does not match its SHA-256; nothing was put in place")
            }
        }
        try await retryStream.finish()
        fetched += retryStream.fetchedBytes
        wire += retryStream.wireBytes
        return (fetched, wire)
    }

    // MARK: Applying

    /// The local file is the synced one and already has this content (a resumed pull,
    /// or a new version that only changed metadata).
    private func isInPlace(_ path: String, _ version: RemoteVersion) -> Bool {
        guard let record = state.files[path], !record.directory, record.sha256 == version.sha256,
              let status = try? FileIO.linkStatus(folder + "/" + path)
        else { return false }
        return Self.matches(status, record)
    }

    private mutating func delete(_ path: String, into summary: inout PullSummary) throws {
        let record = state.files[path]
        defer { state.files[path] = nil }
        let absolute = folder + "/" + path
        switch try classify(path, target: nil) {
        case .absent:
            return
        case .unchanged:
            try FileIO.unlink(absolute)
            summary.filesDeleted += 1
            pruneEmptyParents(of: path)
        case .emptyFolder where record?.directory == true:
            _ = rmdir(absolute)
            pruneEmptyParents(of: path)
        case .folder where record?.directory == true:
            // The user put files in a folder the server dropped: it stays, with them.
            return
        case .identical, .changed, .emptyFolder, .folder, .other:
            summary.conflicts.append(PullConflict(
                path: path, serverCopy: nil, reason: "deleted on the server but changed here; kept"))
        }
    }

    private mutating func put(
        _ path: String, _ version: RemoteVersion, source: FileMaterializer, usesLeft: inout [ChunkID: Int],
        into summary: inout PullSummary
    ) throws {
        try ensureParents(of: path)
        let absolute = folder + "/" + path
        if version.isDirectory {
            return try putFolder(path, version, into: &summary)
        }
        if isInPlace(path, version) {
            usesLeft[version.sha256, default: 1] -= 1
            try setMetadata(absolute, version)
            state.files[path] = try record(of: absolute, version)
            return
        }
        var destination = path
        switch try classify(path, target: version.sha256) {
        case .absent, .unchanged:
            break
        case .emptyFolder:
            if rmdir(absolute) != 0 { throw FileIO.error("rmdir", absolute) }
        case .identical:
            // The user (or an interrupted pull) already has exactly this content.
            usesLeft[version.sha256, default: 1] -= 1
            state.files[path] = try record(of: absolute, version)
            return
        case .changed, .folder, .other:
            destination = ConflictName.make(for: path, serverTime: version.time) { FileIO.exists(folder + "/" + $0) }
            summary.conflicts.append(PullConflict(
                path: path, serverCopy: destination, reason: "changed here and on the server; the server's version is beside it"))
        }
        try install(version, from: source, to: folder + "/" + destination, usesLeft: &usesLeft)
        summary.filesWritten += 1
        // A conflict copy belongs to the user now; the path keeps its old record.
        if destination == path { state.files[path] = try record(of: absolute, version) }
    }

    private mutating func putFolder(_ path: String, _ version: RemoteVersion, into summary: inout PullSummary) throws {
        let absolute = folder + "/" + path
        switch try classify(path, target: nil) {
        case .absent:
            if mkdir(absolute, mode_t(version.mode & 0o777) | 0o700) != 0 { throw FileIO.error("mkdir", absolute) }
            summary.foldersCreated += 1
        case .unchanged:
            try FileIO.unlink(absolute)
            if mkdir(absolute, mode_t(version.mode & 0o777) | 0o700) != 0 { throw FileIO.error("mkdir", absolute) }
            summary.foldersCreated += 1
        case .emptyFolder, .folder:
            break
        case .identical, .changed, .other:
            summary.conflicts.append(PullConflict(
                path: path, serverCopy: nil, reason: "the server has a folder here, but this file was changed; kept"))
            return
        }
        knownFolders.insert(path)
        guard let status = try FileIO.linkStatus(absolute) else { throw FileIO.error("lstat", absolute, ENOENT) }
        state.files[path] = SyncState.FileRecord(
            size: 0, mtimeNanoseconds: FileIO.modificationNanoseconds(status), inode: UInt64(status.st_ino),
            sha256: version.sha256, chunks: [], directory: true)
    }

    /// Renames the assembled content into place (or copies it, when more paths need it),
    /// with the server's permission bits (owner read/write kept) and mtime.
    private func install(_ version: RemoteVersion, from source: FileMaterializer, to target: String, usesLeft: inout [ChunkID: Int]) throws {
        let assembled = source.path(for: version.sha256)
        let remaining = usesLeft[version.sha256, default: 1] - 1
        usesLeft[version.sha256] = remaining
        let temp: String
        if remaining <= 0 {
            temp = assembled
        } else {
            temp = assembled + ".copy"
            try Self.copy(assembled, to: temp)
        }
        try setMetadata(temp, version)
        try FileIO.rename(temp, target)
    }

    /// `UTIME_OMIT` (a macro Glibc's module does not export): leave that time as it is.
    private static let omitTime = (1 << 30) - 2

    private func setMetadata(_ path: String, _ version: RemoteVersion) throws {
        if chmod(path, mode_t(version.mode & 0o777) | 0o600) != 0 { throw FileIO.error("chmod", path) }
        var times = [
            timespec(tv_sec: 0, tv_nsec: Self.omitTime),
            timespec(tv_sec: Int(version.mtimeNs / 1_000_000_000), tv_nsec: Int(version.mtimeNs % 1_000_000_000)),
        ]
        if version.mtimeNs < 0 { times[1] = timespec(tv_sec: 0, tv_nsec: Self.omitTime) }
        if utimensat(AT_FDCWD, path, &times, 0) != 0 { throw FileIO.error("utimensat", path) }
    }

    private func record(of absolute: String, _ version: RemoteVersion) throws -> SyncState.FileRecord {
        guard let status = try FileIO.linkStatus(absolute) else { throw FileIO.error("lstat", absolute, ENOENT) }
        return SyncState.FileRecord(
            size: Int64(status.st_size), mtimeNanoseconds: FileIO.modificationNanoseconds(status), inode: UInt64(status.st_ino),
            sha256: version.sha256, chunks: version.chunks)
    }

    /// Creates the parents of `path` as real folders. A file or link in the way is an
    /// error (a link could lead outside the folder), unless the server deleted that file
    /// in this same pull and the user left it alone.
    private mutating func ensureParents(of path: String) throws {
        var parent = ""
        for component in path.split(separator: "/").dropLast() {
            parent += parent.isEmpty ? String(component) : "/" + component
            if knownFolders.contains(parent) { continue }
            let absolute = folder + "/" + parent
            if let status = try FileIO.linkStatus(absolute), status.st_mode & S_IFMT != S_IFDIR {
                throw SyncError.notAFolder(absolute)
            }
            if mkdir(absolute, 0o755) != 0 && errno != EEXIST { throw FileIO.error("mkdir", absolute) }
            knownFolders.insert(parent)
        }
    }

    /// Removes folders left empty by a deletion, up to the project folder, but never a
    /// folder the server keeps as an entry.
    private mutating func pruneEmptyParents(of path: String) {
        var components = path.split(separator: "/").map(String.init)
        components.removeLast()
        while components.count > 1 {
            let parent = components.joined(separator: "/")
            if state.files[parent]?.directory == true { return }
            guard rmdir(folder + "/" + parent) == 0 else { return }
            knownFolders.remove(parent)
            components.removeLast()
        }
    }

    private mutating func checkpoint(filesDone: Int, filesTotal: Int) throws {
        progress?(PullProgress(filesDone: filesDone, filesTotal: filesTotal, bytesDone: 0, bytesTotal: 0))
        // Save progress now and then, so a pull killed while installing does not have
        // to re-hash what it already put in place.
        if ContinuousClock.now - lastSave > .seconds(2) {
            try state.saveFiles(to: folder)
            lastSave = .now
        }
    }

    // MARK: The local side

    enum LocalState {
        case absent
        /// The file the last pull wrote, untouched (or only touched: same content).
        case unchanged
        /// Not the synced file, but already the target content.
        case identical
        case changed
        case emptyFolder
        case folder
        /// A link, socket or device: never followed, never replaced.
        case other
    }

    private func classify(_ path: String, target: ChunkID?) throws -> LocalState {
        let absolute = folder + "/" + path
        guard let status = try FileIO.linkStatus(absolute) else { return .absent }
        let record = state.files[path]
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            if let record, !record.directory, Self.matches(status, record) { return .unchanged }
            let hash = try SHA256.hash(fileAt: absolute)
            if hash == target { return .identical }
            if let record, !record.directory, hash == record.sha256 { return .unchanged }
            return .changed
        case S_IFDIR:
            return try FileIO.list(absolute).isEmpty ? .emptyFolder : .folder
        default:
            return .other
        }
    }

    static func matches(_ status: stat, _ record: SyncState.FileRecord) -> Bool {
        status.st_mode & S_IFMT == S_IFREG && Int64(status.st_size) == record.size
            && FileIO.modificationNanoseconds(status) == record.mtimeNanoseconds && UInt64(status.st_ino) == record.inode
    }

    static func copy(_ source: String, to target: String) throws {
        let input = try FileIO.open(source, O_RDONLY)
        defer { FileIO.close(input) }
        let output = try FileIO.open(target, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { FileIO.close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try FileIO.read(input, into: $0, path: source) }
            try buffer.withUnsafeBytes { try FileIO.write(output, UnsafeRawBufferPointer(rebasing: $0[..<n]), path: target) }
            if n < buffer.count { return }
        }
    }
}
