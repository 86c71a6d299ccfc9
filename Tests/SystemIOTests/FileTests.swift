import Foundation
import SystemIO
import Testing

/// Files and folders through SystemIO: real calls on a temporary folder.
@Suite struct FileTests {
    @Test func readsAndWritesWholeFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/data"
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let out = try FileDescriptor.open(
            path: path, .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        try out.writeAll(bytes, path: path)
        out.closeQuietly()
        let input = try FileDescriptor.open(path: path, .readOnly)
        defer { input.closeQuietly() }
        #expect(try input.readToEnd(path: path) == bytes)
        #expect(try input.kind() == .regular)
        #expect(try FileKind.of(folder.path) == .directory)
        #expect(FileKind.exists(path))
    }

    @Test func anErrorNamesTheCallAndThePath() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/file"
        let error = #expect(throws: SystemCallError.self) { try FileDescriptor.open(path: missing, .readOnly) }
        #expect(error?.call == "open")
        #expect(error?.path == missing)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.description == "open \(missing): No such file or directory")
        #expect(!FileKind.exists(missing))
        let removal = #expect(throws: SystemCallError.self) { try FileSystem.remove(missing) }
        #expect(removal?.description == "unlink \(missing): No such file or directory")
    }

    @Test func listsAFolderSortedWithoutHiddenNames() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for name in ["b.json", ".hidden", "a.json"] { try folder.write(name, "{}") }
        #expect(try FileSystem.entries(of: folder.path) == ["a.json", "b.json"])
        let error = #expect(throws: SystemCallError.self) { try FileSystem.entries(of: folder.path + "/none") }
        #expect(error?.call == "opendir")
        #expect(error?.errno == .noSuchFileOrDirectory)
    }

    @Test func makeFolderAcceptsAnExistingOneOnlyWhenAsked() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/sub"
        try FileSystem.makeFolder(path, permissions: [.ownerReadWriteExecute])
        try FileSystem.makeFolder(path, permissions: [.ownerReadWriteExecute])
        #expect(try FileKind.of(path) == .directory)
        let error = #expect(throws: SystemCallError.self) {
            try FileSystem.makeFolder(path, permissions: [.ownerReadWriteExecute], existingIsFine: false)
        }
        #expect(error?.errno == .fileExists)
    }

    /// `mkdir -p`: every missing folder on the way is made with the permissions, existing ones are
    /// fine, and a failure names mkdir and the folder that could not be made.
    @Test func makeFoldersMakesTheMissingOnesOnTheWay() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/a/b/c"
        try FileSystem.makeFolders(path, permissions: [.ownerReadWriteExecute])
        try FileSystem.makeFolders(path + "/", permissions: [.ownerReadWriteExecute])
        for made in [folder.path + "/a", folder.path + "/a/b", path] {
            #expect(try FileKind.of(made) == .directory)
            let mode = try FileManager.default.attributesOfItem(atPath: made)[.posixPermissions] as? Int
            #expect(mode == 0o700, "\(made)")
        }
        try folder.write("file", "x")
        let error = #expect(throws: SystemCallError.self) {
            try FileSystem.makeFolders(folder.path + "/file/d", permissions: [.ownerReadWriteExecute])
        }
        #expect(error?.description == "mkdir \(folder.path)/file/d: Not a directory")
    }

    @Test func theFolderOfAPath() {
        #expect(FileKind.folder(of: "/run/dbus/system_bus_socket") == "/run/dbus")
        #expect(FileKind.folder(of: "/run/user/1000/pulse/native") == "/run/user/1000/pulse")
        #expect(FileKind.folder(of: "/socket") == "/")
        #expect(FileKind.folder(of: "relative/name") == "relative")
    }

    /// openat2 with RESOLVE_BENEATH: a file below the folder opens, `..` and a symbolic link
    /// leading out are refused with EXDEV, and the error names openat2 and the name asked for.
    @Test func opensBeneathAFolderOnly() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/inner", withIntermediateDirectories: true)
        try folder.write("inner/sound.wav", "RIFF")
        try folder.write("outside.txt", "secret")
        try FileManager.default.createSymbolicLink(
            atPath: folder.path + "/inner/escape", withDestinationPath: "../outside.txt")
        try FileManager.default.createSymbolicLink(
            atPath: folder.path + "/inner/absolute", withDestinationPath: "/etc/hostname")
        try FileManager.default.createSymbolicLink(
            atPath: folder.path + "/inner/near", withDestinationPath: "sound.wav")
        let inner = try FileDescriptor.open(path: folder.path + "/inner", .readOnly, options: .directory)
        defer { inner.closeQuietly() }

        let file = try inner.open(beneath: "sound.wav", .readOnly)
        #expect(try file.readToEnd() == Array("RIFF".utf8))
        file.closeQuietly()
        // A link that stays inside is followed.
        let near = try inner.open(beneath: "near", .readOnly)
        #expect(try near.readToEnd() == Array("RIFF".utf8))
        near.closeQuietly()
        for name in ["../outside.txt", "escape", "absolute"] {
            let error = #expect(throws: SystemCallError.self) { try inner.open(beneath: name, .readOnly) }
            #expect(error?.call == "openat2")
            #expect(error?.path == name)
            #expect(error?.errno == .improperLink, "\(name)")
        }
        // Component by component without following links: the link itself is refused.
        let refused = #expect(throws: SystemCallError.self) {
            try inner.open(relative: "near", .readOnly, options: .noFollow)
        }
        #expect(refused?.errno == .tooManySymbolicLinkLevels)
        #expect(try inner.kind(ofEntry: "near") == .symbolicLink)
        let copy = try inner.duplicated()
        #expect(copy != inner)
        #expect(try copy.kind() == .directory)
        copy.closeQuietly()
    }
}
