import Engine
import Foundation
import Testing

@testable import Daemon

/// `play` names open only inside the audio folders, once: the descriptor checked is the one played.
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
            // Each file holds its own path below root, so a read tells which file was opened.
            for file in ["user/a.wav", "shipped/a.wav", "shipped/b.wav", "user/sub/c.wav", "outside/secret.wav"] {
                _ = FileManager.default.createFile(atPath: root + "/" + file, contents: Data(file.utf8))
            }
            try FileManager.default.createSymbolicLink(
                atPath: user + "/escape.wav", withDestinationPath: root + "/outside/secret.wav")
            // Relative: an absolute link starts from / and so leaves the folder, whatever it names.
            try FileManager.default.createSymbolicLink(atPath: user + "/inside.wav", withDestinationPath: "sub/c.wav")
            try FileManager.default.createSymbolicLink(
                atPath: user + "/absolute.wav", withDestinationPath: user + "/sub/c.wav")
            try FileManager.default.createSymbolicLink(atPath: user + "/outdir", withDestinationPath: root + "/outside")
        }
        var locator: AudioFolders { AudioFolders(folders: [user, shipped]) }
        /// As on a kernel without openat2.
        var componentWise: AudioFolders { AudioFolders(folders: [user, shipped], componentWise: true) }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    /// What the descriptor reads, from its start.
    static func content(_ file: OpenedSoundFile) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(file.descriptor, &buffer, buffer.count, 0)
        return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    }

    @Test func searchesTheFoldersInOrder() throws {
        let f = try Folders()
        for locator in [f.locator, f.componentWise] {
            #expect(Self.content(try locator.open("a.wav")) == "user/a.wav")
            #expect(Self.content(try locator.open("b.wav")) == "shipped/b.wav")
            #expect(Self.content(try locator.open("sub/c.wav")) == "user/sub/c.wav")
            #expect(try locator.open("b.wav").path.hasSuffix("/shipped/b.wav"))
        }
        #expect(Self.content(try f.locator.open("inside.wav")) == "user/sub/c.wav", "a link that stays inside is fine")
    }

    @Test(arguments: ["../outside/secret.wav", "sub/../../outside/secret.wav", "/etc/passwd", "", "a.wav\u{0}x"])
    func refusesPathsThatLeaveTheFolders(_ name: String) throws {
        let f = try Folders()
        #expect(throws: EngineError.self) { try f.locator.open(name) }
        #expect(throws: EngineError.self) { try f.componentWise.open(name) }
    }

    @Test(arguments: ["escape.wav", "outdir/secret.wav", "absolute.wav"])
    func refusesASymbolicLinkLeadingOutside(_ name: String) throws {
        let f = try Folders()
        for locator in [f.locator, f.componentWise] {
            do {
                let file = try locator.open(name)
                Issue.record("\(name) must not open, read \(Self.content(file))")
            } catch {
                #expect("\(error)".contains("refusing to play it"), "\(error)")
            }
        }
    }

    /// The real path was checked, then the file opened again by name: a file swapped for a link to
    /// outside in between was played (56 of 65 plays). Now the descriptor opened is what plays.
    @Test func audioConfinementHasASymlinkRace() throws {
        let f = try Folders()
        let opened = try f.locator.open("a.wav")
        // The swap, as an attacker would do it: a link moved over the checked name.
        try FileManager.default.createSymbolicLink(
            atPath: f.user + "/swap.tmp", withDestinationPath: f.root + "/outside/secret.wav")
        #expect(rename(f.user + "/swap.tmp", f.user + "/a.wav") == 0)
        #expect(Self.content(opened) == "user/a.wav", "the file checked is the file read")
        #expect(throws: EngineError.self) { try f.locator.open("a.wav") }
    }

    @Test func refusesWhatIsNotARegularFile() throws {
        let f = try Folders()
        #expect(mkfifo(f.user + "/pipe.wav", 0o600) == 0)
        try FileManager.default.createDirectory(atPath: f.user + "/dir.wav", withIntermediateDirectories: false)
        for name in ["pipe.wav", "dir.wav"] {
            do {
                _ = try f.locator.open(name)
                Issue.record("\(name) must not open")
            } catch {
                #expect("\(error)".contains("is not a regular file"), "\(error)")
            }
        }
    }

    @Test func aMissingFileListsTheFoldersSearched() throws {
        let f = try Folders()
        do {
            _ = try f.locator.open("nope.wav")
            Issue.record("nope.wav must not open")
        } catch {
            #expect("\(error)".contains("'nope.wav' not found"))
            #expect("\(error)".contains(f.user) && "\(error)".contains(f.shipped))
        }
    }
}
