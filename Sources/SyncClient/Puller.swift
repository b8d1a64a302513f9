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
/// 2. Assemble every new content beside its file (``FileMaterializer``), a batch at a
///    time so a large pull's bookkeeping stays small: chunks any unchanged local file
///    holds are copied, the rest fetched in a few streamed requests; each content is
///    hash-checked, then everything is made durable at once. Nothing goes into place
///    before every content is assembled, so every local file can still lend its chunks.
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
    /// How much is assembled at a time.
    var batchLimit = PullBatchLimit.standard

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

        var timer = PhaseTimer(logger: logger, message: "pull phase done")
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
        timer.finished("feed")

        var summary = PullSummary(client: client, cursor: plan.cursor)
        let csvExists = FileIO.exists(folder + "/" + LedgerFolderFiles.csvName)
        if !plan.hasChanges && plan.ledger.isEmpty && plan.cursor == position.cursor && position.client == client && csvExists {
            return summary
        }

        var state = try SyncState.load(from: folder)
        state.client = client
        if plan.hasChanges {
            var run = PullRun(
                folder: folder, api: api, compression: compression, changes: plan.sortedChanges(), state: state,
                batchLimit: batchLimit, logger: logger, progress: progress)
            state = SyncState()     // one copy of the table, the run's
            // The feed's pages were decoded and dropped: give that memory back before the
            // files' work, or it stays resident between what the run allocates.
            MallocTuning.releaseFreeMemory()
            try await run.apply(into: &summary)
            state = run.state
            timer.finished("files")
        }
        summary.ledgerEntries = try LedgerFolderFiles.update(folder: folder, with: plan.ledger)
        state.cursor = plan.cursor
        state.position.ledgerSequence = max(state.position.ledgerSequence, plan.ledger.map(\.seq).max() ?? 0)
        try state.save(to: folder)
        timer.finished("ledger and state")
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

/// How many contents, and how many bytes of them, a pull assembles at a time.
struct PullBatchLimit: Sendable {
    var contents: Int
    var bytes: Int64

    /// Half a request window of the chunk stream, and no limit on bytes. Between batches
    /// the pull waits for the last writes of one and plans the next while nothing arrives,
    /// so very small batches cost time (batches of 4,096 small files made a 100,000-file
    /// pull 2.5 times slower); 32,768 contents take as long as 65,536 and peak 7 MB lower.
    /// What a batch holds in memory is per content: its bytes only stream through.
    static let standard = PullBatchLimit(contents: RemoteChunkStream.windowIDs / 2, bytes: .max)
}

/// One pull's file work, with the state it updates as files land.
private struct PullRun {
    let folder: String
    let api: APIClient
    let compression: Bool
    /// Sorted by path; entries are referred to by their index.
    let changes: [PullPlan.Entry]
    var state: SyncState
    let batchLimit: PullBatchLimit
    let logger: Logger
    let progress: (@Sendable (PullProgress) -> Void)?

    private var partialDirectory: String { folder + "/" + SyncState.directoryName + "/partial" }
    /// Parents known to be real folders (created or checked), relative.
    private var knownFolders = Set<String>()
    private var lastSave = ContinuousClock.now

    /// Where a content was assembled.
    enum Placement: UInt8 {
        case none
        /// Beside the first path that has it.
        case beside
        case partialFolder
    }

    // Per entry, a few bytes each instead of dictionaries keyed by hash or path: an
    // entry's content is known by the first entry that has it (its owner).
    /// The owner of each file put's content, -1 for folders and deletions.
    private var owner: [Int32] = []
    /// Per owner: the paths left to install with its content.
    private var usesLeft: [Int32] = []
    /// Per owner: where its content is assembled.
    private var placement: [Placement] = []
    /// Per owner: the entry whose attributes its assembled content was given (-1: none).
    private var attributed: [Int32] = []
    /// Progress of the assembly, over all batches.
    private var contentsDone = 0
    private var bytesDone: Int64 = 0

    init(
        folder: String, api: APIClient, compression: Bool, changes: [PullPlan.Entry], state: SyncState,
        batchLimit: PullBatchLimit, logger: Logger, progress: (@Sendable (PullProgress) -> Void)?
    ) {
        self.folder = folder
        self.api = api
        self.compression = compression
        self.changes = changes
        self.state = state
        self.batchLimit = batchLimit
        self.logger = logger
        self.progress = progress
    }

    mutating func apply(into summary: inout PullSummary) async throws {
        findOwners()
        // 2. Assemble every content that is not already in place.
        var pending: [Int32] = []
        var bytesTotal: Int64 = 0
        for (number, entry) in changes.enumerated() {
            guard case let .put(version) = entry.change, !version.isDirectory else { continue }
            let first = Int(owner[number])
            guard placement[first] == .none, !isInPlace(entry.path, version) else { continue }
            placement[first] = .partialFolder     // queued; placed when its batch starts
            pending.append(Int32(number))
            bytesTotal += version.size
        }
        var timer = PhaseTimer(logger: logger, message: "pull phase done")
        if !pending.isEmpty {
            let totals = try await assemble(pending, bytesTotal: bytesTotal)
            summary.fetchedBytes = totals.fetched
            summary.transferredBytes = totals.wire
            summary.reusedBytes = totals.reused
            timer.finished("assemble")
            try FileIO.syncFileSystem(folder)
            timer.finished("sync")
        }
        pending = []

        // 3. Deletions first (a file may become a folder), then installs.
        var puts = 0
        for entry in changes { if case .put = entry.change { puts += 1 } }
        // Grown once, not by doubling while both copies live.
        state.files.reserveCapacity(state.files.count + puts)
        var filesDone = 0
        for number in changes.indices.reversed() {
            guard case .delete = changes[number].change else { continue }
            try delete(changes[number].path, into: &summary)
            filesDone += 1
            try checkpoint(filesDone: filesDone, filesTotal: changes.count)
        }
        for start in stride(from: 0, to: changes.count, by: Self.installWindow) {
            let window = start..<min(start + Self.installWindow, changes.count)
            let moved = try moveNewFiles(in: window)
            for number in window {
                guard case let .put(version) = changes[number].change else { continue }
                if let status = moved[number - start] {
                    usesLeft[Int(owner[number])] -= 1
                    summary.filesWritten += 1
                    state.files[changes[number].path] = Self.record(status, version)
                } else {
                    try put(number, version, into: &summary)
                }
                filesDone += 1
                try checkpoint(filesDone: filesDone, filesTotal: changes.count)
            }
        }
        timer.finished("install")
        try FileIO.syncFileSystem(folder)
        timer.finished("sync")
        try forgetPartials()
    }

    /// Gives each file put the first entry with the same content, and each such owner
    /// the number of paths that take its content: a sort of (hash, entry) pairs.
    private mutating func findOwners() {
        owner = Array(repeating: -1, count: changes.count)
        usesLeft = Array(repeating: 0, count: changes.count)
        placement = Array(repeating: .none, count: changes.count)
        attributed = Array(repeating: -1, count: changes.count)
        var pairs: [(sha: ChunkID, entry: Int32)] = []
        for (number, entry) in changes.enumerated() {
            if case let .put(version) = entry.change, !version.isDirectory { pairs.append((version.sha256, Int32(number))) }
        }
        pairs.sort { $0.sha != $1.sha ? $0.sha < $1.sha : $0.entry < $1.entry }
        var start = 0
        while start < pairs.count {
            var end = start + 1
            while end < pairs.count && pairs[end].sha == pairs[start].sha { end += 1 }
            let first = pairs[start].entry
            for pair in pairs[start..<end] { owner[Int(pair.entry)] = first }
            usesLeft[Int(first)] = Int32(end - start)
            start = end
        }
    }

    /// Where the content of `number`'s owner is (or would be) assembled.
    private func assembledPath(of number: Int, _ sha: ChunkID) -> String {
        let first = Int(owner[number])
        let directory = placement[first] == .beside ? FileIO.parent(of: folder + "/" + changes[first].path) : partialDirectory
        return FileMaterializer.path(for: sha, in: directory)
    }

    // MARK: Partial contents

    private var partialsList: String { folder + "/" + SyncState.directoryName + "/partials.json" }

    /// Notes where this pull assembles contents before it writes there: if it is killed
    /// and the next pull plans differently, that one still finds and removes them.
    /// Folders, with a trailing slash (a pull assembles one content per file of a folder);
    /// lists from earlier versions name each content.
    private func rememberPartials(_ known: Set<String>) throws {
        try FileIO.writeAtomically(Array(try JSONEncoder().encode(known.sorted())), to: partialsList)
    }

    private func loadPartials() -> [String] {
        guard let bytes = try? FileIO.readAll(partialsList) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
    }

    /// Removes whatever the pulls noted in the list left behind (after a complete pull,
    /// only leftovers of interrupted ones and contents no path took), then the list.
    private func forgetPartials() throws {
        for path in loadPartials() where path.hasPrefix(folder + "/") {
            if path.hasSuffix("/") {
                let directory = String(path.dropLast())
                let relative = String(directory.dropFirst(folder.count + 1))
                for name in (try? FileIO.list(directory)) ?? [] where Self.isAssembledName(name) {
                    // A synced file that happens to have such a name stays.
                    guard state.files[relative + "/" + name] == nil else { continue }
                    try? FileIO.unlink(directory + "/" + name)
                }
                continue
            }
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            guard name.hasPrefix(FileMaterializer.prefix) else { continue }
            for suffix in ["", ".part", ".copy"] { try? FileIO.unlink(path + suffix) }
        }
        try FileIO.unlink(partialsList)
        try? FileManager.default.removeItem(atPath: partialDirectory)
    }

    /// `.followup-<64 hex digits>`, with `.part` or `.copy` or nothing after.
    static func isAssembledName(_ name: String) -> Bool {
        var rest = Substring(name)
        guard rest.hasPrefix(FileMaterializer.prefix) else { return false }
        rest = rest.dropFirst(FileMaterializer.prefix.count)
        let hex = rest.prefix(64)
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return false }
        let suffix = rest.dropFirst(64)
        return suffix.isEmpty || suffix == ".part" || suffix == ".copy"
    }

    // MARK: Assembling

    /// Offers the chunks of every synced file still as the last pull left it (those the
    /// index wants).
    private func localChunks(into index: LocalChunkIndex) {
        for (path, record) in state.files where !record.directory && !record.chunks.isEmpty {
            if let status = try? FileIO.linkStatus(folder + "/" + path), Self.matches(status, record) {
                index.add(record.chunks, in: ChunkSourceFile(folder: folder, relative: path))
            }
        }
    }

    /// Assembles the contents of `pending` (entries, in path order), a batch at a time:
    /// jobs, steps, the chunk stream and the checks exist for one batch only.
    private mutating func assemble(_ pending: [Int32], bytesTotal: Int64) async throws -> (fetched: Int64, wire: Int64, reused: Int64) {
        // Only chunks some content needs are worth offering from local files, and of
        // the chunks this pull writes, only those needed again.
        var needed: [ChunkID] = []
        for number in pending {
            if case let .put(version) = changes[Int(number)].change { needed.append(contentsOf: version.chunks.lazy.map(\.id)) }
        }
        needed.sort()
        let repeated = SortedChunkIDs(repeatedIn: needed)
        let index = LocalChunkIndex(offering: SortedChunkIDs(needed))
        needed = []
        localChunks(into: index)
        index.wanted = repeated
        let materializer = FileMaterializer(index: index)

        var noted = Set(loadPartials())
        // Nothing noted, nothing left by an interrupted pull: no content's file is looked for.
        let resume = !noted.isEmpty
        var fetched: Int64 = 0
        var wire: Int64 = 0
        var start = 0
        while start < pending.count {
            var jobs: [FileMaterializer.Job] = []
            var batchBytes: Int64 = 0
            var lastDirectory = ""
            var directories = Set<String>()
            var lastNoted: String?
            while start < pending.count, jobs.count < batchLimit.contents {
                let number = Int(pending[start])
                guard case let .put(version) = changes[number].change else { preconditionFailure("a pending entry is a put") }
                if !jobs.isEmpty && batchBytes + version.size > batchLimit.bytes { break }
                start += 1
                batchBytes += version.size
                // Next to the first path that has it (the folder is made now; a file in
                // the way, gone after the deletions, sends it to .followup/partial).
                let first = Int(owner[number])
                var directory = partialDirectory
                if (try? ensureParents(of: changes[first].path)) != nil {
                    placement[first] = .beside
                    directory = FileIO.parent(of: folder + "/" + changes[first].path)
                    // One string per folder, shared by its contents' sources.
                    if directory == lastDirectory { directory = lastDirectory } else { lastDirectory = directory }
                }
                if directory != lastNoted {
                    directories.insert(directory + "/")
                    lastNoted = directory
                }
                jobs.append(.init(
                    sha256: version.sha256, size: version.size, chunks: version.chunks, directory: directory,
                    attributes: FileAttributes(version), entry: Int32(number)))
            }
            var notes: Set<String>?
            if !directories.isSubset(of: noted) {
                noted.formUnion(directories)
                notes = noted
            }
            let batch = try await assemble(
                jobs, with: materializer, resume: resume, bytesTotal: bytesTotal,
                notes: notes, partialFolder: directories.contains(partialDirectory + "/"))
            jobs = []
            // The batch's plan and stream are gone; so are its connections, whose buffers
            // would otherwise stay through the install and the state's save.
            api.releaseReceiveBuffers()
            MallocTuning.releaseFreeMemory()
            fetched += batch.fetched
            wire += batch.wire
        }
        return (fetched, wire, materializer.reusedBytes)
    }

    /// Writes the contents of `jobs`. The folders in `notes`, if any, are noted as holding
    /// partial contents before any is written there (and `.followup/partial` made if
    /// `partialFolder`), once the first window of chunks is asked for: the server checks
    /// its ids meanwhile (noting them first, with its fsync, made the pull wait 2 ms more).
    private mutating func assemble(
        _ jobs: [FileMaterializer.Job], with materializer: FileMaterializer, resume: Bool, bytesTotal: Int64,
        notes: Set<String>? = nil, partialFolder: Bool = false
    ) async throws -> (fetched: Int64, wire: Int64) {
        let reusedBefore = materializer.reusedBytes
        let (steps, remote) = materializer.plan(jobs, useLocal: true, resume: resume)
        // Contents already complete, and resumed prefixes, count as done.
        bytesDone += materializer.reusedBytes - reusedBefore
        for step in steps { bytesDone += step.job.chunks[..<step.resumedChunks].reduce(Int64(0)) { $0 + Int64($1.length) } }
        contentsDone += jobs.count - steps.count
        let filesTotal = changes.count
        let report = progress
        var bytesDone = self.bytesDone
        let contentsBefore = contentsDone
        let stream = RemoteChunkStream(api: api, chunks: remote, compression: compression)
        try stream.start()
        if let notes { try rememberPartials(notes) }
        if partialFolder { try FileIO.makeDirectories(partialDirectory) }
        let matched = try await materializer.run(steps, remote: stream) { number, bytes in
            bytesDone += bytes
            report?(PullProgress(filesDone: contentsBefore + number, filesTotal: filesTotal, bytesDone: bytesDone, bytesTotal: bytesTotal))
        }
        self.bytesDone = bytesDone
        contentsDone += steps.count
        try await stream.finish()
        noteAttributes(of: steps, matched)
        let failed = zip(steps, matched).filter { !$0.1 }.map(\.0.job)
        var fetched = stream.fetchedBytes
        var wire = stream.wireBytes
        guard !failed.isEmpty else { return (fetched, wire) }

        // A local file changed under the pull: fetch those contents whole, once more.
        logger.info("refetching contents whose local sources changed", metadata: ["count": "\(failed.count)"])
        let retry = FileMaterializer(index: LocalChunkIndex())
        let (retrySteps, retryRemote) = retry.plan(failed, useLocal: false, resume: false)
        let retryStream = RemoteChunkStream(api: api, chunks: retryRemote, compression: compression)
        let rematched = try await retry.run(retrySteps, remote: retryStream) { _, _ in }
        if let (step, _) = zip(retrySteps, rematched).first(where: { !$0.1 }) {
            throw SyncError.integrity("the server's content \(step.job.sha256.hex.prefix(16))… does not match its SHA-256; nothing was put in place")
        }
        try await retryStream.finish()
        noteAttributes(of: retrySteps, rematched)
        fetched += retryStream.fetchedBytes
        wire += retryStream.wireBytes
        return (fetched, wire)
    }

    /// The contents that matched were given their job's attributes.
    private mutating func noteAttributes(of steps: [FileMaterializer.Step], _ matched: [Bool]) {
        for (step, ok) in zip(steps, matched) where ok && step.job.attributes != nil {
            attributed[Int(owner[Int(step.job.entry)])] = step.job.entry
        }
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

    private mutating func put(_ number: Int, _ version: RemoteVersion, into summary: inout PullSummary) throws {
        let path = changes[number].path
        try ensureParents(of: path)
        let absolute = folder + "/" + path
        if version.isDirectory {
            return try putFolder(path, version, into: &summary)
        }
        if isInPlace(path, version) {
            usesLeft[Int(owner[number])] -= 1
            try FileAttributes(version).apply(to: absolute)
            state.files[path] = try record(of: absolute, version)
            return
        }
        // A path the last pull left nothing at, and a content no other path needs: one
        // rename, which never replaces a file found there (made meanwhile); that one goes
        // through the checks below.
        if state.files[path] == nil, usesLeft[Int(owner[number])] == 1, try install(number, version, to: absolute, replacing: false) {
            summary.filesWritten += 1
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
            usesLeft[Int(owner[number])] -= 1
            state.files[path] = try record(of: absolute, version)
            return
        case .changed, .folder, .other:
            destination = ConflictName.make(for: path, serverTime: version.time) { FileIO.exists(folder + "/" + $0) }
            summary.conflicts.append(PullConflict(
                path: path, serverCopy: destination, reason: "changed here and on the server; the server's version is beside it"))
        }
        _ = try install(number, version, to: folder + "/" + destination, replacing: true)
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

    /// Entries installed at a time: what ``moveNewFiles(in:)`` holds stays small.
    static let installWindow = 4096

    /// Moves into place, on two threads, the files of `window` that the quick way of
    /// ``put(_:_:into:)`` takes (a new path, a content no other path needs, assembled beside
    /// it with this version's attributes): the file system's part of installing them, 13 µs
    /// a file, is most of the install. Answers, per entry of the window, the status of the
    /// file moved; nil for the others and where the path was found taken, left to
    /// ``put(_:_:into:)``.
    private func moveNewFiles(in window: Range<Int>) throws -> [stat?] {
        var numbers: [Int] = []
        var moves: [(from: String, to: String)] = []
        for number in window {
            let entry = changes[number]
            guard case let .put(version) = entry.change, !version.isDirectory, state.files[entry.path] == nil else { continue }
            let first = Int(owner[number])
            guard usesLeft[first] == 1, placement[first] == .beside, assembledContent(of: number, has: FileAttributes(version))
            else { continue }
            numbers.append(number)
            moves.append((assembledPath(of: number, version.sha256), folder + "/" + entry.path))
        }
        var moved = Array<stat?>(repeating: nil, count: window.count)
        guard !moves.isEmpty else { return moved }
        for (number, status) in zip(numbers, try FileIO.renameUnlessExists(moves, threads: 2)) {
            moved[number - window.lowerBound] = status
        }
        return moved
    }

    /// Renames the assembled content into place (or a copy of it, when more paths need
    /// it), with the server's attributes: those the content was given already, if they are
    /// this version's. Unless `replacing`, a file at `target` stays: then nothing moved,
    /// and the answer is false.
    private mutating func install(_ number: Int, _ version: RemoteVersion, to target: String, replacing: Bool) throws -> Bool {
        let assembled = assembledPath(of: number, version.sha256)
        let first = Int(owner[number])
        let attributes = FileAttributes(version)
        let temp: String
        if usesLeft[first] <= 1 {
            temp = assembled
            if !assembledContent(of: number, has: attributes) {
                try attributes.apply(to: temp)
                attributed[first] = Int32(number)
            }
        } else {
            temp = assembled + ".copy"
            try Self.copy(assembled, to: temp)
            try attributes.apply(to: temp)
        }
        if replacing {
            try FileIO.rename(temp, target)
        } else if try !FileIO.renameUnlessExists(temp, target) {
            if temp != assembled { try FileIO.unlink(temp) }
            return false
        }
        usesLeft[first] -= 1
        return true
    }

    /// Whether the content assembled for `number` (its owner's) was given `attributes`.
    private func assembledContent(of number: Int, has attributes: FileAttributes) -> Bool {
        let given = Int(attributed[Int(owner[number])])
        guard given >= 0, case let .put(version) = changes[given].change else { return false }
        return FileAttributes(version) == attributes
    }

    private func record(of absolute: String, _ version: RemoteVersion) throws -> SyncState.FileRecord {
        guard let status = try FileIO.linkStatus(absolute) else { throw FileIO.error("lstat", absolute, ENOENT) }
        return Self.record(status, version)
    }

    private static func record(_ status: stat, _ version: RemoteVersion) -> SyncState.FileRecord {
        SyncState.FileRecord(
            size: Int64(status.st_size), mtimeNanoseconds: FileIO.modificationNanoseconds(status), inode: UInt64(status.st_ino),
            sha256: version.sha256, chunks: version.chunks)
    }

    /// Creates the parents of `path` as real folders. A file or link in the way is an
    /// error (a link could lead outside the folder), unless the server deleted that file
    /// in this same pull and the user left it alone.
    private mutating func ensureParents(of path: String) throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        // Paths come in order: most files are in the folder of the one before.
        if knownFolders.contains(String(path[..<slash])) { return }
        var parent = ""
        for component in path[..<slash].split(separator: "/") {
            parent += parent.isEmpty ? String(component) : "/" + component
            if knownFolders.contains(parent) { continue }
            let absolute = folder + "/" + parent
            // Made, it is a new real folder; already there, it must be one (not a file, not a link).
            if mkdir(absolute, 0o755) != 0 {
                guard errno == EEXIST else { throw FileIO.error("mkdir", absolute) }
                guard let status = try FileIO.linkStatus(absolute), status.st_mode & S_IFMT == S_IFDIR else {
                    throw SyncError.notAFolder(absolute)
                }
            }
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
