import Daemon
import Engine
import Foundation
import Testing

/// `play` names resolve only inside the audio folders.
@Suite struct AudioFoldersTests {
    final class Folders {
        let root: String
        let user: String
        let shipped: String
        init() throws {
            root = NSTemporaryDirectory() + "routines-audiofolders-\(UUID().uuidString)"
            user = root + "/user"
            shipped = root + "/shipped"
            for dir in [user, shipped, user + "/sub", root + "/outside"] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            for file in [user + "/a.wav", shipped + "/a.wav", shipped + "/b.wav", user + "/sub/c.wav", root + "/outside/secret.wav"] {
                _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
            }
            try FileManager.default.createSymbolicLink(atPath: user + "/escape.wav", withDestinationPath: root + "/outside/secret.wav")
            try FileManager.default.createSymbolicLink(atPath: user + "/inside.wav", withDestinationPath: user + "/sub/c.wav")
        }
        var locator: AudioFolders { AudioFolders(folders: [user, shipped]) }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func searchesTheFoldersInOrder() throws {
        let f = try Folders()
        #expect(try f.locator.resolve("a.wav").hasSuffix("/user/a.wav"))
        #expect(try f.locator.resolve("b.wav").hasSuffix("/shipped/b.wav"))
        #expect(try f.locator.resolve("sub/c.wav").hasSuffix("/user/sub/c.wav"))
        #expect(try f.locator.resolve("inside.wav").hasSuffix("/user/sub/c.wav"), "a link that stays inside is fine")
    }

    @Test(arguments: ["../outside/secret.wav", "sub/../../outside/secret.wav", "/etc/passwd", ""])
    func refusesPathsThatLeaveTheFolders(_ name: String) throws {
        let f = try Folders()
        #expect(throws: EngineError.self) { try f.locator.resolve(name) }
    }

    @Test func refusesASymbolicLinkLeadingOutside() throws {
        let f = try Folders()
        do {
            _ = try f.locator.resolve("escape.wav")
            Issue.record("escape.wav must not resolve")
        } catch {
            #expect("\(error)".contains("leads outside the audio folder"))
        }
    }

    @Test func aMissingFileListsTheFoldersSearched() throws {
        let f = try Folders()
        do {
            _ = try f.locator.resolve("nope.wav")
            Issue.record("nope.wav must not resolve")
        } catch {
            #expect("\(error)".contains("'nope.wav' not found"))
            #expect("\(error)".contains(f.user) && "\(error)".contains(f.shipped))
        }
    }
}
