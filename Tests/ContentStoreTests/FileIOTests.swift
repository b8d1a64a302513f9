import Foundation
import Testing
@testable import ContentStore

@Suite("FileIO")
struct FileIOTests {
    @Test("a rename unless something is there: moves onto a free name, and leaves both files as they were otherwise")
    func renameUnlessExists() throws {
        let folder = try TemporaryDirectory()
        let source = folder.path + "/source", target = folder.path + "/target"
        try Data("new".utf8).write(to: URL(fileURLWithPath: source))

        #expect(try FileIO.renameUnlessExists(source, target))
        #expect(!FileManager.default.fileExists(atPath: source))
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("new".utf8))

        try Data("newer".utf8).write(to: URL(fileURLWithPath: source))
        #expect(try !FileIO.renameUnlessExists(source, target))
        #expect(try Data(contentsOf: URL(fileURLWithPath: source)) == Data("newer".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("new".utf8))

        // Not even an empty folder or a dangling link is replaced.
        try FileManager.default.createDirectory(atPath: folder.path + "/folder", withIntermediateDirectories: false)
        #expect(try !FileIO.renameUnlessExists(source, folder.path + "/folder"))
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link", withDestinationPath: folder.path + "/nowhere")
        #expect(try !FileIO.renameUnlessExists(source, folder.path + "/link"))
        #expect(FileManager.default.fileExists(atPath: source))

        #expect(throws: StoreError.self) { try FileIO.renameUnlessExists(folder.path + "/missing", folder.path + "/other") }
    }

    @Test("many renames on two threads: each file moved once, with its status; a taken name is left alone; an error is thrown")
    func renamesOnThreads() throws {
        let folder = try TemporaryDirectory()
        var moves: [(from: String, to: String)] = []
        for index in 0..<200 {
            let directory = folder.path + "/d\(index / 50)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("\(index)".utf8).write(to: URL(fileURLWithPath: directory + "/.new-\(index)"))
            if index % 37 == 0 { try Data("taken".utf8).write(to: URL(fileURLWithPath: directory + "/f\(index)")) }
            moves.append((directory + "/.new-\(index)", directory + "/f\(index)"))
        }
        let statuses = try FileIO.renameUnlessExists(moves, threads: 2)
        #expect(statuses.count == 200)
        for (index, status) in statuses.enumerated() {
            let target = try Data(contentsOf: URL(fileURLWithPath: moves[index].to))
            if index % 37 == 0 {
                #expect(status == nil)
                #expect(target == Data("taken".utf8))
                #expect(FileManager.default.fileExists(atPath: moves[index].from))
            } else {
                #expect(target == Data("\(index)".utf8))
                #expect(status.map { UInt64($0.st_ino) } == (try FileIO.linkStatus(moves[index].to)).map { UInt64($0.st_ino) })
                #expect(!FileManager.default.fileExists(atPath: moves[index].from))
            }
        }
        #expect(try FileIO.renameUnlessExists([], threads: 2).isEmpty)
        #expect(throws: StoreError.self) {
            try FileIO.renameUnlessExists([(folder.path + "/missing", folder.path + "/x"), (folder.path + "/gone", folder.path + "/y")], threads: 2)
        }
    }
}
