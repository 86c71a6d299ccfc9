import Foundation
import Testing

/// `routines service install|uninstall` into a temporary HOME or root.
@Suite struct ServiceInstallTests {
    static func files(under root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let item = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + item, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                found.append(item)
            }
        }
        return found.sorted()
    }

    /// `systemd-analyze verify` must accept the unit without any complaint.
    static func verify(_ unit: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", "--man=no", unit]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.isEmpty, "systemd-analyze verify: \(output)")
    }

    @Test func userInstallWritesExactlyTheUnitAndTheShippedFiles() throws {
        let dir = try TempDir()
        let home = dir.path + "/home"
        let env = ["HOME": home, "XDG_CONFIG_HOME": ""]
        let result = try CLI.run(["service", "install"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("systemctl --user enable --now routines.service"))
        let shipped = try FileManager.default.contentsOfDirectory(atPath: CLI.repositoryRoot + "/Routines")
            .filter { $0.hasSuffix(".json") }.sorted()
        let shippedAudio = ((try? FileManager.default.contentsOfDirectory(atPath: CLI.repositoryRoot + "/Audio")) ?? [])
            .filter { [".wav", ".flac", ".ogg", ".mp3"].contains(where: $0.hasSuffix) }.sorted()
        let expected =
            ([".config/systemd/user/routines.service"] + shipped.map { ".config/routines/routines/" + $0 }
            + shippedAudio.map { ".config/routines/audio/" + $0 }).sorted()
        #expect(Self.files(under: home) == expected)
        let unit = try String(contentsOfFile: home + "/.config/systemd/user/routines.service", encoding: .utf8)
        #expect(unit.contains("Type=notify"))
        #expect(unit.contains("WatchdogSec="))
        #expect(unit.contains("Restart=on-failure"))
        // Idle connections exhaust the daemon: the unit gives it room beyond the shell's 1024.
        #expect(unit.contains("LimitNOFILE=4096"))
        #expect(unit.contains("ExecStart=\(CLI.binary.path) daemon"))
        try Self.verify(home + "/.config/systemd/user/routines.service")
    }

    @Test func reinstallNeverOverwritesAnEditedRoutine() throws {
        let dir = try TempDir()
        let home = dir.path + "/home"
        let env = ["HOME": home, "XDG_CONFIG_HOME": ""]
        #expect(try CLI.run(["service", "install"], environment: env).status == 0)
        let edited = home + "/.config/routines/routines/good-morning.json"
        try "{\"mine\": true}".write(toFile: edited, atomically: true, encoding: .utf8)
        let again = try CLI.run(["service", "install"], environment: env)
        #expect(again.status == 0)
        #expect(again.stdout.contains("kept \(edited)"))
        #expect(try String(contentsOfFile: edited, encoding: .utf8) == "{\"mine\": true}")
    }

    @Test func uninstallRemovesOnlyTheUnit() throws {
        let dir = try TempDir()
        let home = dir.path + "/home"
        let env = ["HOME": home, "XDG_CONFIG_HOME": ""]
        #expect(try CLI.run(["service", "install"], environment: env).status == 0)
        let before = Self.files(under: home)
        let result = try CLI.run(["service", "uninstall"], environment: env)
        #expect(result.status == 0)
        #expect(Self.files(under: home) == before.filter { !$0.hasSuffix("routines.service") })
        let twice = try CLI.run(["service", "uninstall"], environment: env)
        #expect(twice.stdout.contains("not installed"))
    }

    @Test func systemUnitVerifies() throws {
        let dir = try TempDir()
        let result = try CLI.run(["service", "install", "--system", "--root", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let unit = dir.path + "/etc/systemd/system/routines.service"
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(text.contains("User=routines"))
        #expect(text.contains("SupplementaryGroups=audio"))
        #expect(text.contains("--state /var/lib/routines"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/etc/routines/routines/keep-alive.json"))
        // The unit names /etc/routines/config.json, so a first install writes the defaults there,
        // and a second keeps what the user wrote.
        let config = dir.path + "/etc/routines/config.json"
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "{}\n")
        try #"{"timezone": "UTC"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let again = try CLI.run(["service", "install", "--system", "--root", dir.path])
        #expect(again.stdout.contains("kept \(config)"), "\(again.stdout)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == #"{"timezone": "UTC"}"#)
        try Self.verify(unit)
    }

    @Test func badActionIsRejected() throws {
        let result = try CLI.run(["service", "restart"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("install"))
    }
}
