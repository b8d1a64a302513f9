import ArchiveIO
import CArchive
import Foundation
import Testing

/// Runs `body` with a fresh directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appending(path: "archiveio-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}

/// Every entry of the tar at `path`, with the data of each file.
func readAll(_ path: String, blockSize: Int = 64 << 10) throws -> [(entry: TarEntry, data: [UInt8])] {
    var reader = try TarReader(path: path)
    var result: [(TarEntry, [UInt8])] = []
    while let entry = try reader.next() {
        var data = [UInt8]()
        try reader.readData(blockSize: blockSize) { data.append(contentsOf: $0) }
        result.append((entry, data))
    }
    return result
}

/// The first error reading the tar at `path` throws.
func readError(_ path: String) -> ArchiveError? {
    do {
        _ = try readAll(path)
        return nil
    } catch let error as ArchiveError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// An entry for ``writeForeignTar(_:_:)``: anything libarchive can write, unchecked.
struct ForeignEntry {
    var path: String
    var type: UInt32 = 0o100000  // regular file
    var symlink: String?
    var hardlink: String?
    var data: [UInt8] = []
}

/// Writes a tar with libarchive directly, bypassing TarWriter's checks, as a hostile or
/// careless foreign tool would.
func writeForeignTar(_ path: String, _ entries: [ForeignEntry]) throws {
    let archive = try #require(archive_write_new())
    defer { archive_write_free(archive) }
    try #require(archive_write_set_format_pax_restricted(archive) == ARCHIVE_OK)
    try #require(archive_write_open_filename(archive, path) == ARCHIVE_OK)
    for item in entries {
        let entry = try #require(archive_entry_new())
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, item.path)
        archive_entry_set_filetype(entry, item.type)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, Int64(item.data.count))
        if let symlink = item.symlink { archive_entry_set_symlink(entry, symlink) }
        if let hardlink = item.hardlink { archive_entry_set_hardlink(entry, hardlink) }
        try #require(archive_write_header(archive, entry) == ARCHIVE_OK)
        if !item.data.isEmpty {
            try #require(item.data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) } == item.data.count)
        }
        try #require(archive_write_finish_entry(archive) == ARCHIVE_OK)
    }
    try #require(archive_write_close(archive) == ARCHIVE_OK)
}

/// Runs a program and returns its standard output; fails the test on a non-zero exit.
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(filePath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "\(executable) \(arguments) failed")
    return String(decoding: data, as: UTF8.self)
}
