import Foundation
import Testing

/// The messages a newcomer meets in the first hour (issue 17, point 4): each says what is wrong
/// and what to do, and the exit status agrees.
@Suite(.timeLimit(.minutes(2))) struct NewcomerMessagesTests {
    static let quick = #"{"triggers": [{"event": "go"}], "actions": [{"wait": "10ms"}]}"#

    @Test func daemonCommandsSayWhatIsWrong() throws {
        let daemon = try DaemonProcess(routines: [
            "quick.json": Self.quick, "typo.json": #"{"triggers": [{"evnt": "go"}], "actions": [{"wait": "1s"}]}"#,
        ])
        try daemon.start()
        // A file that never validated: not "no routine named typo".
        let typo = try daemon.cli(["trigger", "typo"])
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("routine 'typo' cannot run: its file is invalid ("), "\(typo.stderr)")
        #expect(typo.stderr.contains("did you mean 'event'"), "\(typo.stderr)")
        let unknown = try daemon.cli(["trigger", "nope"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no routine named nope"), "\(unknown.stderr)")
        // History of a name never seen: an error, not an empty table.
        let nope = try daemon.cli(["history", "nope"])
        #expect(nope.status != 0)
        #expect(
            nope.stderr.contains("no routine named 'nope' and no runs of it in the history; routines: quick"),
            "\(nope.stderr)")
        let none = try daemon.cli(["history", "quick"])
        #expect(none.status == 0)
        #expect(none.stdout == "no runs of quick yet\n")
        // Events say how many routines they started, and when none listens.
        let nobody = try daemon.cli(["event", "door.opened", "room=kitchen"])
        #expect(nobody.status == 0)
        #expect(nobody.stdout.hasPrefix("raised door.opened: no routine listens to it"), "\(nobody.stdout)")
        let go = try daemon.cli(["event", "go"])
        #expect(go.stdout == "raised go: started 1 routine\n", "\(go.stdout)")
    }

    @Test func headphoneModeWithOneOutputIsRefusedClearly() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": Self.quick])
        let config = try daemon.dir.write("config.json", #"{"outputs": {"speakers": {"pcm": "null"}}}"#)
        daemon.extraArguments = ["--config", config]
        try daemon.start()
        let on = try daemon.cli(["headphones", "on"])
        #expect(on.status != 0)
        #expect(
            on.stderr.contains("headphone mode needs a second output, but the config has only 'speakers'"),
            "\(on.stderr)")
        #expect(try daemon.cli(["headphones", "status"]).stdout == "headphone mode: off\n")
        let status = try jsonObject(daemon.cli(["status", "--json"]).stdout)
        let outputs = try #require(status["outputs"] as? [[String: Any]])
        #expect(outputs.count == 1)
        #expect(outputs.first?["headphone"] as? Bool == false)
    }

    @Test func tokenFileTildeIsHome() throws {
        let port = try CatchUpAndTokenTests.freePort()
        let daemon = try DaemonProcess(routines: ["quick.json": Self.quick])
        let home = daemon.dir.path + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "0123456789abcdef0123456789abcdef\n".write(toFile: home + "/token", atomically: true, encoding: .utf8)
        let config = try daemon.dir.write(
            "config.json", #"{"http": {"listen": "127.0.0.1:\#(port)", "tokenFile": "~/token"}}"#)
        daemon.extraArguments = ["--config", config]
        daemon.environment["HOME"] = home
        try daemon.start()
        #expect(daemon.log.contains("127.0.0.1:\(port) (token required)"), "\(daemon.log)")
    }

    @Test func validateWarnsAboutSoundFilesInNoAudioFolder() throws {
        let dir = try TempDir()
        let routine = try dir.write(
            "tea.json",
            #"{"triggers": [{"event": "tea"}], "actions": [{"play": "chmie.wav"}, {"announce": "x", "chime": "bell.wav"}, {"play": "chime.wav"}]}"#
        )
        let environment = ["XDG_CONFIG_HOME": dir.path + "/config"]
        let warned = try CLI.run(["validate", routine], environment: environment)
        #expect(warned.status == 0, "warnings do not fail: \(warned.stdout)")
        let lines = warned.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(
            lines[0].hasPrefix(
                "\(routine): actions[0].play: warning: sound file 'chmie.wav' is in none of the audio folders ("))
        #expect(lines[0].contains(dir.path + "/config/routines/audio, " + CLI.repositoryRoot + "/Audio"), "\(lines[0])")
        #expect(lines[1].hasPrefix("\(routine): actions[1].chime: warning: sound file 'bell.wav'"))
        #expect(lines[2] == "1 routine file valid")
        // With --audio naming a folder that has them, no warning.
        try FileManager.default.createDirectory(atPath: dir.path + "/sounds", withIntermediateDirectories: true)
        for name in ["chmie.wav", "bell.wav"] { _ = try dir.write("sounds/" + name, "RIFF") }
        let quiet = try CLI.run(["validate", routine, "--audio", dir.path + "/sounds"], environment: environment)
        #expect(quiet.stdout == "1 routine file valid\n", "\(quiet.stdout)")
    }

    @Test func helpNamesTheSocketFallback() throws {
        for command in [["status", "--help"], ["daemon", "--help"]] {
            let help = try CLI.run(command)
            #expect(help.stdout.contains("/tmp/routines-UID.sock"), "\(command): \(help.stdout)")
        }
    }

    @Test func serviceCommandsExplainWhatIsMissing() throws {
        let dir = try TempDir()
        let runtime = dir.path + "/run"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let environment = [
            "HOME": dir.path + "/home", "XDG_CONFIG_HOME": "", "XDG_RUNTIME_DIR": runtime,
            "DBUS_SESSION_BUS_ADDRESS": "",
        ]
        // Installing from the build folder warns that the unit would run a build output.
        let install = try CLI.run(["service", "install"], environment: environment)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(
            install.stdout.contains("warning: the unit runs \(CLI.binary.path), a build output"), "\(install.stdout)")
        // No user bus: one clear line instead of systemctl's "Failed to connect to bus".
        let status = try CLI.run(["service", "status"], environment: environment)
        #expect(status.status != 0)
        #expect(status.stdout.contains("installed: "), "\(status.stdout)")
        #expect(
            status.stderr.contains("no systemd user session here (\(runtime)/bus does not exist)"), "\(status.stderr)")
        #expect(!status.stderr.contains("Failed to connect to bus"))
        let now = try CLI.run(["service", "install", "--now"], environment: environment)
        #expect(now.status != 0)
        #expect(now.stderr.contains("no systemd user session here"), "\(now.stderr)")
    }
}
