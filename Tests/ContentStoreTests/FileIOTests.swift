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
}
