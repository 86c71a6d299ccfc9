import Foundation
import Testing

/// Announcements through a real Wyoming speech server (`wyoming-piper`, from PyPI in a virtualenv the
/// tests make), captured by ALSA's `file` plugin; espeak-ng speaks when the server cannot.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SpeechEngineEndToEndTests {
    static let sentence = "The washing machine has finished its programme."

    /// A daemon capturing its speakers, with the `piper` engine at `uri` (generous timeouts: the
    /// server loads its model on the first request) and `hasty`, the same server with a 5 ms timeout.
    static func daemon(uri: String, voice: String = "piper:en_US-joe-medium") throws -> DaemonProcess {
        let daemon = try DaemonProcess(routines: [
            "speak.json":
                #"{"triggers":[{"event":"x"}],"actions":[{"announce":"\#(sentence)","voice":"\#(voice)","chime":false}]}"#,
            "hasty.json":
                #"{"triggers":[{"event":"y"}],"actions":[{"announce":"\#(sentence)","voice":"hasty","chime":false}]}"#,
        ])
        let dir = daemon.dir.path
        _ = try daemon.dir.write(
            "asound.conf",
            #"pcm.cap_speakers { type file slave.pcm "null" file "\#(dir)/speakers.raw" format "raw" truncate false }"#)
        let config = try daemon.dir.write(
            "config.json",
            """
            {"outputs": {"speakers": {"pcm": "cap_speakers"}}, "defaultOutput": "speakers", "headphoneOutput": "speakers",
             "speech": {"engines": {"piper": {"wyoming": "\(uri)", "timeout": "90s", "connectTimeout": "2s"},
                                    "hasty": {"wyoming": "\(uri)", "voice": "en_US-joe-medium", "timeout": "5ms"}},
                        "default": "piper"}}
            """)
        daemon.extraArguments = ["--config", config]
        daemon.environment = ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(dir)/asound.conf"]
        return daemon
    }

    /// The samples (48 kHz stereo) captured since the last call: each opening of the PCM writes a new
    /// file, and a PCM kept open between announcements appends to its file.
    final class Captures {
        let daemon: DaemonProcess
        var consumed: [String: Int] = [:]
        init(_ daemon: DaemonProcess) { self.daemon = daemon }
        func next() -> [Int16] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: daemon.dir.path)) ?? [])
                .filter { $0.hasPrefix("speakers.raw") }.sorted()
            var all: [Int16] = []
            for name in names {
                guard let data = FileManager.default.contents(atPath: daemon.dir.path + "/" + name) else { continue }
                let from = consumed[name] ?? 0
                consumed[name] = data.count
                all += data[from...].withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
            }
            return all
        }
    }

    static func seconds(_ capture: [Int16]) -> Double { Double(capture.count) / 2 / 48_000 }

    static func rms(_ capture: [Int16]) -> Double {
        let sum = capture.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(max(1, capture.count))).squareRoot()
    }

    /// The newest run's step notes of `routine`.
    static func notes(_ daemon: DaemonProcess, _ routine: String) throws -> [String] {
        let result = try daemon.cli(["history", routine, "--limit", "1", "--json"])
        let runs = try jsonArray(result.stdout)
        let steps = runs.first?["steps"] as? [[String: Any]] ?? []
        return steps.compactMap { $0["note"] as? String }
    }

    /// Seconds of `espeak-ng --stdout` for the sentence.
    static func espeakSeconds(_ voice: String) throws -> Double {
        let espeak = Process()
        espeak.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        espeak.arguments = ["-v", voice, "--stdout", sentence]
        let pipe = Pipe()
        espeak.standardOutput = pipe
        try espeak.run()
        let wav = pipe.fileHandleForReading.readDataToEndOfFile()
        espeak.waitUntilExit()
        return Double(wav.count - 44) / 2 / 22_050
    }

    @Test func piperAnnouncementIsPipersOwnSpeechAtTheOutputsRate() throws {
        let server = try PiperServer()
        try server.start()
        let daemon = try Self.daemon(uri: server.uri)
        try daemon.start()
        let captures = Captures(daemon)
        let result = try daemon.cli(["trigger", "speak", "--wait"])
        #expect(result.status == 0, "\(result.stderr)\n\(daemon.log)")
        #expect(try Self.notes(daemon, "speak") == [], "Piper spoke, no fallback")
        let capture = captures.next()
        let reference = try server.piperSeconds(Self.sentence)
        let seconds = Self.seconds(capture)
        #expect(abs(seconds - reference) / reference < 0.10, "captured \(seconds) s at 48 kHz, piper \(reference) s")
        #expect(Self.rms(capture) > 300, "speech energy (RMS \(Self.rms(capture)))")
        // The default engine is piper: `routines say` without a voice speaks through it too.
        let say = try daemon.cli(["say", "Hello from the default engine."])
        #expect(say.status == 0, "\(say.stderr)")
        #expect(Self.rms(captures.next()) > 300)
    }

    @Test func espeakNgSpeaksWhenTheServerIsDownAndHistorySaysWhy() throws {
        let port = try PiperServer.freePort()  // nobody listens there
        let daemon = try Self.daemon(uri: "tcp://127.0.0.1:\(port)")
        try daemon.start()
        let captures = Captures(daemon)
        let result = try daemon.cli(["trigger", "speak", "--wait"])
        #expect(result.status == 0, "\(result.stderr)\n\(daemon.log)")
        let notes = try Self.notes(daemon, "speak")
        #expect(notes.count == 1 && notes[0].contains("spoken by espeak-ng (en-us) instead"), "\(notes)")
        #expect(notes.first?.contains("piper (tcp://127.0.0.1:\(port)) cannot be reached") == true, "\(notes)")
        let seconds = Self.seconds(captures.next())
        let reference = try Self.espeakSeconds("en-us")
        #expect(abs(seconds - reference) / reference < 0.10, "captured \(seconds) s, espeak-ng \(reference) s")
        // The table shows the note too.
        #expect(try daemon.cli(["history", "speak"]).stdout.contains("spoken by espeak-ng"))
    }

    @Test func aVoiceTheServerLacksFallsBackAndValidateSuggests() throws {
        let server = try PiperServer()
        try server.start()
        // Listed by the server's info but not installed: the server answers `synthesize` with an error.
        let daemon = try Self.daemon(uri: server.uri, voice: "piper:en_US-lessac-medium")
        try daemon.start()
        let captures = Captures(daemon)
        #expect(try daemon.cli(["trigger", "speak", "--wait"]).status == 0)
        let notes = try Self.notes(daemon, "speak")
        #expect(notes.first?.contains("VoiceNotFoundError") == true, "\(notes)")
        #expect(Self.rms(captures.next()) > 300, "espeak-ng spoke")

        // `routines validate` asks the server's info: an unknown voice is an error with suggestions.
        let config = daemon.dir.path + "/config.json"
        let typo = try daemon.dir.write(
            "typo.json", #"{"triggers":[{"event":"x"}],"actions":[{"announce":"Hi","voice":"piper:en_US-jo-medium"}]}"#)
        let invalid = try CLI.run(["validate", "--config", config, typo])
        #expect(invalid.status == 1)
        #expect(
            invalid.stdout.contains(
                "actions[0].voice: piper (\(server.uri)) has no voice 'en_US-jo-medium'; did you mean 'en_US-joe-medium'"
            ),
            "\(invalid.stdout)")
        let good = try daemon.dir.write(
            "good.json", #"{"triggers":[{"event":"x"}],"actions":[{"announce":"Hi","voice":"piper:en_US-joe-medium"}]}"#
        )
        let valid = try CLI.run(["validate", "--config", config, good])
        #expect(valid.status == 0, "\(valid.stdout)")
        // A server that does not answer: validate says it could not check, and does not fail.
        server.stop()
        let unchecked = try CLI.run(["validate", "--config", config, good])
        #expect(unchecked.status == 0)
        #expect(unchecked.stdout.contains("warning: could not check voice 'en_US-joe-medium'"), "\(unchecked.stdout)")
        // An engine the config does not define is an error of the routine file.
        let unknown = try daemon.dir.write(
            "unknown.json",
            #"{"triggers":[{"event":"x"}],"actions":[{"announce":"Hi","voice":"pipr:en_US-joe-medium"}]}"#)
        let wrong = try CLI.run(["validate", "--config", config, unknown])
        #expect(wrong.status == 1)
        #expect(
            wrong.stdout.contains("names the speech engine 'pipr'") && wrong.stdout.contains("did you mean 'piper'"),
            "\(wrong.stdout)")
    }

    @Test func theServerRestartedBetweenAnnouncementsIsUsedAgain() throws {
        let server = try PiperServer()
        try server.start()
        let daemon = try Self.daemon(uri: server.uri)
        try daemon.start()
        let captures = Captures(daemon)
        #expect(try daemon.cli(["trigger", "speak", "--wait"]).status == 0)
        #expect(try Self.notes(daemon, "speak") == [])
        let first = Self.seconds(captures.next())
        // Slower than its timeout: espeak-ng speaks, and the history says the server was too slow.
        #expect(try daemon.cli(["trigger", "hasty", "--wait"]).status == 0)
        let hasty = try Self.notes(daemon, "hasty")
        #expect(hasty.first?.contains("did not answer in time") == true, "\(hasty)")
        _ = captures.next()
        // Down: espeak-ng.
        server.stop()
        #expect(try daemon.cli(["trigger", "speak", "--wait"]).status == 0)
        #expect(try Self.notes(daemon, "speak").first?.contains("cannot be reached") == true)
        #expect(Self.rms(captures.next()) > 300)
        // Back on the same port: the next announcement is Piper's again.
        try server.start()
        #expect(try daemon.cli(["trigger", "speak", "--wait"]).status == 0)
        let notes = try Self.notes(daemon, "speak")
        #expect(notes == [], "\(notes)\n\(daemon.log.suffix(1500))")
        let again = Self.seconds(captures.next())
        #expect(abs(again - first) / first < 0.10, "\(again) s after the restart, \(first) s before")
    }
}
