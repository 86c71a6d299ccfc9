import Foundation
import SignalMeasure
import Testing

/// The built daemon playing through real ALSA into the `file` plugin (no sound card needed).
@Suite(.timeLimit(.minutes(2))) struct AudioEndToEndTests {
    /// A daemon whose outputs capture into raw files, with the shipped routines.
    static func daemon() throws -> DaemonProcess {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: CLI.repositoryRoot + "/Routines")
            .filter { $0.hasSuffix(".json") }
        var files: [String: String] = [:]
        for name in shipped {
            files[name] = try String(contentsOfFile: CLI.repositoryRoot + "/Routines/" + name, encoding: .utf8)
        }
        let daemon = try DaemonProcess(routines: files)
        let dir = daemon.dir.path
        let asound = """
            pcm.cap_speakers { type file slave.pcm "null" file "\(dir)/speakers.raw" format "raw" truncate false }
            pcm.cap_headphones { type file slave.pcm "null" file "\(dir)/headphones.raw" format "raw" truncate false }
            """
        _ = try daemon.dir.write("asound.conf", asound)
        let config = try daemon.dir.write(
            "config.json",
            #"{"outputs": {"speakers": {"pcm": "cap_speakers"}, "headphones": {"pcm": "cap_headphones"}}, "timezone": "UTC"}"#
        )
        daemon.extraArguments = ["--config", config]
        daemon.environment = ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(dir)/asound.conf"]
        return daemon
    }

    static func captured(_ daemon: DaemonProcess, _ output: String) -> [Int16] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: daemon.dir.path)) ?? [])
            .filter { $0.hasPrefix("\(output).raw") }.sorted()
        var all: [Int16] = []
        for name in names {
            if let data = FileManager.default.contents(atPath: daemon.dir.path + "/" + name) {
                all += data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
            }
        }
        return all
    }

    @Test func goodMorningWithHeadphoneModeOnPlaysOnlyInTheHeadphones() throws {
        let daemon = try Self.daemon()
        try daemon.start()
        #expect(try daemon.cli(["headphones", "on"]).status == 0)
        let result = try daemon.cli(["trigger", "good-morning", "--wait"])
        #expect(result.status == 0, "\(result.stderr)\n\(daemon.log)")
        let headphones = Self.captured(daemon, "headphones")
        #expect(Self.captured(daemon, "speakers").isEmpty, "the speakers get nothing with headphone mode on")
        // 48 kHz stereo: the chime (1.05 s) and then the spoken sentence (about 2.5 s).
        let seconds = Double(headphones.count) / 2 / 48_000
        #expect(seconds > 2.5, "captured \(seconds) s")
        // The chime comes first: its first 0.3 s match the shipped file at -3 dB.
        let chime = try #require(FileManager.default.contents(atPath: CLI.repositoryRoot + "/Audio/chime.wav"))
        let chimeSamples = chime.suffix(from: 44).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let head = stride(from: 0, to: 2 * 14_400, by: 2).map { Double(headphones[$0]) }
        let expected = chimeSamples.prefix(14_400).map { Double($0) * pow(10, -3.0 / 20) }
        let error = zip(head, expected).map { abs($0 - $1) }.max() ?? 99
        #expect(error <= 2, "the chime leads the capture (max difference \(error))")
        // After the chime: speech, with audible energy.
        let speech = stride(from: 2 * 52_000, to: headphones.count, by: 2).map { Double(headphones[$0]) }
        let rms = sqrt(speech.reduce(0) { $0 + $1 * $1 } / Double(max(1, speech.count)))
        #expect(rms > 300, "speech after the chime (RMS \(rms))")
    }

    /// The announcement in the capture is speech: as long as espeak-ng's own rendering (±10 %), with
    /// most of its energy between 300 and 3,400 Hz.
    @Test func announcementCaptureIsSpeech() throws {
        let sentence = "The washing machine has finished its programme."
        let daemon = try Self.daemon()
        try daemon.write(
            "speak.json", #"{"triggers":[{"event":"x"}],"actions":[{"announce":"\#(sentence)","chime":false}]}"#)
        try daemon.start()
        #expect(try daemon.cli(["trigger", "speak", "--wait"]).status == 0)
        let captured = Self.captured(daemon, "speakers")
        let seconds = Double(captured.count) / 2 / 48_000
        // espeak-ng's own rendering of the same text (22,050 Hz mono, 16-bit, after a 44-byte header).
        let espeak = Process()
        espeak.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        espeak.arguments = ["--stdout", sentence]
        let pipe = Pipe()
        espeak.standardOutput = pipe
        try espeak.run()
        let wav = pipe.fileHandleForReading.readDataToEndOfFile()
        espeak.waitUntilExit()
        let reference = Double(wav.count - 44) / 2 / 22_050
        #expect(abs(seconds - reference) / reference < 0.10, "captured \(seconds) s, espeak-ng \(reference) s")
        // Band energy from a coarse spectrum (Goertzel every 50 Hz up to 8 kHz) over the left channel.
        let left = stride(from: 0, to: captured.count, by: 2).map { Double(captured[$0]) }
        var inBand = 0.0
        var total = 0.0
        for frequency in stride(from: 50.0, through: 8000, by: 50) {
            // (Normalised by the same energy at every frequency, so the ratio below is unchanged.)
            let power = Measure.goertzel(left, frequency: frequency)
            total += power
            if frequency >= 300 && frequency <= 3400 { inBand += power }
        }
        #expect(inBand / total > 0.5, "\(Int(100 * inBand / total)) % of the energy in 300-3400 Hz")
    }

    @Test func headphoneModeOffPlaysOnTheSpeakers() throws {
        let daemon = try Self.daemon()
        try daemon.start()
        // The speech library (and the audio stack it links) is loaded by the first announcement only.
        let pid = try #require(daemon.process?.processIdentifier)
        let maps = {
            String(
                decoding: FileHandle(forReadingAtPath: "/proc/\(pid)/maps")?.readDataToEndOfFile() ?? Data(),
                as: UTF8.self)
        }
        #expect(!maps().contains("libespeak-ng"), "libespeak-ng is mapped before any announcement")
        // Nor libpulse (opened on the first call of a sink output, and this daemon has none).
        #expect(!maps().contains("libpulse"), "libpulse is mapped by a daemon without sink outputs")
        let result = try daemon.cli(["say", "Hello there."])
        #expect(maps().contains("libespeak-ng"))
        #expect(result.status == 0, "\(result.stderr)\n\(daemon.log)")
        #expect(result.stdout.contains("speakers"))
        #expect(!Self.captured(daemon, "speakers").isEmpty)
        #expect(Self.captured(daemon, "headphones").isEmpty)
    }

    @Test func missingDeviceFailsTheActionAndTheDaemonKeepsRunning() throws {
        let daemon = try Self.daemon()
        let config = try daemon.dir.write(
            "config.json",
            #"{"outputs": {"speakers": {"pcm": "no_such_device"}, "headphones": {"pcm": "cap_headphones"}}}"#)
        daemon.extraArguments = ["--config", config]
        daemon.environment = ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(daemon.dir.path)/asound.conf"]
        try daemon.start()
        let result = try daemon.cli(["say", "Hello."])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("output 'speakers'") && result.stderr.contains("no_such_device"), "\(result.stderr)")
        #expect(try daemon.cli(["status"]).status == 0)
        let outputs = try jsonArray(try daemon.cli(["outputs", "--json"]).stdout)
        let speakers = try #require(outputs.first { $0["name"] as? String == "speakers" })
        #expect(speakers["opens"] as? Bool == false)
        #expect((speakers["error"] as? String)?.contains("no_such_device") == true)
        #expect((speakers["hint"] as? String)?.contains("cap_headphones") == true, "\(speakers)")
        let headphones = try #require(outputs.first { $0["name"] as? String == "headphones" })
        #expect(headphones["opens"] as? Bool == true, "\(headphones)")
    }
}
