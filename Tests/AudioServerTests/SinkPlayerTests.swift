import AudioServer
import AudioServerHarness
import Engine
import Foundation
import RoutineModel
import SignalMeasure
import Testing

/// Records the states an `AudioServer` reports, and waits for one.
final class StateLog: @unchecked Sendable {
    // @unchecked: guarded by `condition`.
    private let condition = NSCondition()
    private var states: [(String, SinkState)] = []

    func add(_ output: String, _ state: SinkState) {
        condition.lock()
        states.append((output, state))
        condition.broadcast()
        condition.unlock()
    }

    var all: [(String, SinkState)] {
        condition.lock()
        defer { condition.unlock() }
        return states
    }

    /// Waits until the output's latest state matches.
    func wait(_ output: String, timeout: Double = 10, _ matches: (SinkState) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let last = states.last(where: { $0.0 == output }), matches(last.1) { return true }
            if !condition.wait(until: deadline) { return false }
        }
    }
}

@Suite(.serialized, .enabled(if: AudioServerProcesses.installed(.pipewire)))
struct SinkPlayerTests {
    /// Plays `items` on `sink` through a fresh connection to `server`.
    static func connect(_ server: AudioServerProcesses, outputs: [String: String], retryFirst: Duration = .seconds(1))
        -> (AudioServer, StateLog)
    {
        let log = StateLog()
        let audio = AudioServer(
            sinkOutputs: outputs, server: server.serverAddress, retryFirst: retryFirst, onState: { log.add($0, $1) })
        audio.start()
        return (audio, log)
    }

    @Test func aToneReachesOnlyTheNamedSink() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        try server.addNullSink("headphones")
        try server.addNullSink("speakers")
        let (audio, log) = Self.connect(server, outputs: ["hp": "headphones"])
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        let headphones = try server.record("headphones")
        let speakers = try server.record("speakers")
        try headphones.waitFor(seconds: 0.3)
        try await player.play(
            [.tone(ToneSpec(frequency: 440, duration: .milliseconds(800), level: -12))], priority: .normal)
        try headphones.waitFor(seconds: headphones.seconds + 0.3)
        let heard = MonitorWindow.split(headphones.stop())
        let other = MonitorWindow.split(speakers.stop())
        let toneWindows = heard.filter(\.isHigh)
        // 800 ms of tone in 100 ms windows: 7 or 8 whole windows.
        #expect((7...9).contains(toneWindows.count), "\(toneWindows.count) windows of 440 Hz on the headphones sink")
        #expect(
            toneWindows.dropFirst().dropLast().allSatisfy { abs($0.rmsDBFS - (-15)) < 1 },
            "a −12 dBFS peak sine is −15 dBFS RMS: \(toneWindows.map { Int($0.rmsDBFS) })")
        #expect(other.allSatisfy { !$0.audible }, "nothing reached the speakers sink")
    }

    @Test func statesFollowOtherProgramsTheSinkAndTheServer() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        let module = try server.addNullSink("headphones")
        // A first retry far away: reconnecting within the test proves the inotify watch did it.
        let (audio, log) = Self.connect(
            server, outputs: ["hp": "headphones", "gone": "no_such_sink"], retryFirst: .seconds(120))
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        #expect(log.wait("gone") { $0 == .missing })

        // Another program plays: RUNNING with a client that is not ours.
        let music = NSTemporaryDirectory() + "routines-music-\(UUID().uuidString.prefix(6)).wav"
        try Self.writeTone(music, frequency: 440, seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: music) }
        let paplay = try server.play(music, sink: "headphones")
        #expect(log.wait("hp") { $0 == .playing })
        paplay.waitUntilExit()
        #expect(log.wait("hp") { $0 == .idle })

        // Our own audio is not "another program".
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        try await player.play([.tone(ToneSpec(frequency: 440, duration: .milliseconds(300)))], priority: .normal)
        #expect(!log.all.dropFirst(4).contains { $0.0 == "hp" && $0.1 == .playing })

        // The sink disappears and comes back.
        try server.unloadModule(module)
        #expect(log.wait("hp") { $0 == .missing })
        await #expect(throws: AudioServerError.self) {
            try await player.play([.tone(ToneSpec(duration: .milliseconds(100)))], priority: .normal)
        }
        try server.addNullSink("headphones")
        #expect(log.wait("hp") { $0 == .idle })

        // The server is killed: unavailable with the reason; back as soon as its socket reappears.
        server.killPulseServer()
        #expect(log.wait("hp") { if case .serverUnavailable = $0 { true } else { false } })
        if case .serverUnavailable(let reason) = log.all.last(where: { $0.0 == "hp" })!.1 {
            #expect(reason.contains("not reachable at \(server.socketPath)"), "\(reason)")
        }
        await #expect(throws: AudioServerError.self) {
            try await player.play([.tone(ToneSpec(duration: .milliseconds(100)))], priority: .normal)
        }
        try server.restartPulseServer()
        // pipewire-pulse's null sink went with it: the server answers again, without the sink.
        #expect(log.wait("hp", timeout: 10) { $0 == .missing }, "reconnected through inotify, not the 120 s retry")
        try server.addNullSink("headphones")
        #expect(log.wait("hp") { $0 == .idle })
        try await player.play([.tone(ToneSpec(frequency: 440, duration: .milliseconds(200)))], priority: .normal)
    }

    @Test func aKeepAliveBurstDoesNotStartWhileAnotherProgramPlays() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        try server.addNullSink("headphones")
        let (audio, log) = Self.connect(server, outputs: ["hp": "headphones"])
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        let recording = try server.record("headphones")
        let music = NSTemporaryDirectory() + "routines-music-\(UUID().uuidString.prefix(6)).wav"
        try Self.writeTone(music, frequency: 440, seconds: 2)
        defer { try? FileManager.default.removeItem(atPath: music) }
        let paplay = try server.play(music, sink: "headphones")
        #expect(log.wait("hp") { $0 == .playing })
        let burst = KeepAliveSpec(duration: .seconds(1))
        try await player.play([.keepAlive(burst)], priority: .keepAlive)
        paplay.waitUntilExit()
        #expect(log.wait("hp") { $0 == .idle })
        // Once the program stopped, a burst plays.
        try await player.play([.keepAlive(burst)], priority: .keepAlive)
        try recording.waitFor(seconds: recording.seconds + 0.2)
        let windows = MonitorWindow.split(recording.stop())
        let music440 = windows.filter(\.isHigh)
        let bursts = windows.filter(\.isLow)
        #expect(music440.count >= 15, "the other program's 2 s of music were recorded (\(music440.count) windows)")
        #expect((8...10).contains(bursts.count), "one 1 s burst, after the music (\(bursts.count) windows)")
        #expect((bursts.first?.time ?? 0) > (music440.last?.time ?? .infinity), "the burst came after the music")
    }

    /// Our streams on the server (`pactl list sink-inputs`): index and whether corked.
    static func ourStreams(_ server: AudioServerProcesses, output: String) throws -> [(index: String, corked: Bool)] {
        try server.pactl(["list", "sink-inputs"]).components(separatedBy: "Sink Input #").dropFirst().compactMap {
            block in
            guard block.contains("media.name = \"routines: \(output)\"") else { return nil }
            let index = String(block.prefix { $0.isNumber })
            return (index, block.contains("Corked: yes"))
        }
    }

    /// Waits (polling pactl) until `condition` holds for our streams; false after `timeout`.
    static func waitStreams(
        _ server: AudioServerProcesses, output: String, timeout: Double = 10,
        _ condition: ([(index: String, corked: Bool)]) -> Bool
    ) async throws -> [(index: String, corked: Bool)] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let streams = try ourStreams(server, output: output)
            if condition(streams) || Date() > deadline { return streams }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func aCorkedStreamWaitsReadyAndEachJobReusesIt() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        let module = try server.addNullSink("headphones")
        let recording = try server.record("headphones")
        try recording.waitFor(seconds: 0.3)
        let (audio, log) = Self.connect(server, outputs: ["hp": "headphones"])
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        // Made after the server connected: the player opens its stream at once, corked.
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        let ready = try await Self.waitStreams(server, output: "hp") { $0.count == 1 && $0[0].corked }
        #expect(ready.count == 1 && ready.first?.corked == true, "one corked stream before any job: \(ready)")
        for _ in 0..<2 {
            try await player.play(
                [.tone(ToneSpec(frequency: 440, duration: .milliseconds(300), level: -12))], priority: .normal)
            // Corked again after the job: the same stream, not a new one, and it does not hold the
            // sink RUNNING (an uncorked stream would, on PulseAudio).
            let after = try await Self.waitStreams(server, output: "hp") { $0.count == 1 && $0[0].corked }
            #expect(after.map(\.index) == ready.map(\.index) && after.first?.corked == true, "\(after) vs \(ready)")
        }
        try recording.waitFor(seconds: recording.seconds + 0.3)
        let tone = MonitorWindow.split(recording.stop()).filter(\.isHigh)
        #expect((4...8).contains(tone.count), "2 × 300 ms of 440 Hz reached the sink (\(tone.count) windows)")
        // Our own corked stream is not "another program".
        #expect(!log.all.contains { $0.0 == "hp" && $0.1 == .playing })

        // The sink goes and comes back: the stream goes with it and a new one waits, corked.
        try server.unloadModule(module)
        #expect(log.wait("hp") { $0 == .missing })
        #expect(try await Self.waitStreams(server, output: "hp") { $0.isEmpty }.isEmpty)
        try server.addNullSink("headphones")
        #expect(log.wait("hp") { $0 == .idle })
        let again = try await Self.waitStreams(server, output: "hp") { $0.count == 1 && $0[0].corked }
        #expect(again.count == 1 && again.first?.corked == true, "a corked stream for the new sink: \(again)")
    }

    /// `seconds` of 440 Hz at −10 dBFS, mono 16-bit at 22050 Hz (espeak-ng's rate): a speech chunk.
    static func speechChunk(seconds: Double) -> PCMSamples {
        let rate = 22_050
        let samples = (0..<Int(seconds * Double(rate))).map {
            Int16(10_362 * sin(2 * Double.pi * 440 * Double($0) / Double(rate)))
        }
        return PCMSamples(samples: samples, sampleRate: rate, channels: 1)
    }

    @Test func speechPlaysWhileItIsSynthesized() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        try server.addNullSink("headphones")
        let (audio, log) = Self.connect(server, outputs: ["hp": "headphones"])
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        let recording = try server.record("headphones")
        try recording.waitFor(seconds: 0.3)
        // The "synthesizer" makes its second chunk only once the first one was heard at the sink: a
        // player that waited for the whole utterance would never finish (the wait times out). The
        // first chunk is long, so the second comes before the first ran out (no gap to hear).
        let speech = SpeechStream()
        let heardFirst = Flag()
        let file = recording.file
        Thread {
            speech.yield(Self.speechChunk(seconds: 1.5))
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                // The last 100 ms recorded hold the tone (cheap: this runs beside the playback).
                let last = MonitorRecording.samples(of: file).suffix(4_800)
                if last.count == 4_800 && last.reduce(0, { $0 + $1 * $1 }) / 4_800 > 1_000_000 {
                    heardFirst.value = true
                    break
                }
                usleep(20_000)
            }
            speech.yield(Self.speechChunk(seconds: 0.5))
            speech.finish()
        }.start()
        try await player.play([.speech(speech)], priority: .announcement)
        #expect(heardFirst.value, "the first chunk reached the sink before the second was made")
        try recording.waitFor(seconds: recording.seconds + 0.3)
        let windows = MonitorWindow.split(recording.stop())
        let tone = windows.filter(\.isHigh)
        let levels = windows.filter(\.audible).map { "\(String(format: "%.1f", $0.time)):\(Int($0.rmsDBFS))" }
        // 1.5 s and 0.5 s joined by one converter: about 2 s of 440 Hz in 100 ms windows.
        #expect((19...21).contains(tone.count), "2 s of speech reached the sink (\(tone.count) windows: \(levels))")
        #expect(
            tone.dropFirst().dropLast().allSatisfy { abs($0.rmsDBFS - (-13)) < 1.5 },
            "no seam between the chunks: \(tone.map { Int($0.rmsDBFS) })")
    }

    /// Without a session manager PipeWire never links a stream to its sink: a job fails after the
    /// stream deadline, saying what to check, instead of libpulse's bare "Timeout" after 30 s.
    @Test func withoutASessionManagerAJobFailsSayingWhatToCheck() async throws {
        let server = try AudioServerProcesses(.pipewire, sessionManager: false)
        defer { server.stopAll() }
        try server.addNullSink("headphones")
        let log = StateLog()
        let audio = AudioServer(
            sinkOutputs: ["hp": "headphones"], server: server.serverAddress, streamDeadline: .seconds(2),
            onState: { log.add($0, $1) })
        audio.start()
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        let started = ContinuousClock.now
        do {
            try await player.play([.tone(ToneSpec(frequency: 440, duration: .milliseconds(300)))], priority: .normal)
            Issue.record("a tone played with no session manager to link its stream")
        } catch let error as AudioServerError {
            #expect(error.function == "pa_stream_connect_playback", "\(error)")
            #expect(error.description.contains("session manager"), "\(error)")
            #expect(error.description.contains("sink 'headphones'"), "\(error)")
        }
        #expect(started.duration(to: .now) < .seconds(10), "failed at the stream deadline, not libpulse's 30 s")
    }

    /// The daemon's shutdown awaits `stopAndFinish` before the process exits. It returns once the
    /// loop has run its last work (the thread ends right after), and requests made later fail at
    /// once with a reason instead of waiting forever for a loop that is gone.
    @Test func afterStopAndFinishTheLoopEndsAndRequestsFailAtOnce() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        try server.addNullSink("headphones")
        let (audio, log) = Self.connect(server, outputs: ["hp": "headphones"])
        #expect(log.wait("hp") { $0 == .idle })
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        try await player.play([.tone(ToneSpec(frequency: 440, duration: .milliseconds(100)))], priority: .normal)
        let before = Self.threads(named: "routines-pulse")
        #expect(before >= 1)
        await audio.stopAndFinish()
        let deadline = Date().addingTimeInterval(2)
        while Self.threads(named: "routines-pulse") >= before && Date() < deadline { usleep(10_000) }
        #expect(Self.threads(named: "routines-pulse") < before, "the loop thread ended")
        await #expect(throws: AudioServerError.self) {
            try await player.play([.tone(ToneSpec(duration: .milliseconds(100)))], priority: .normal)
        }
        #expect(await player.check() == "the connection to the audio server is closed")
        await #expect(throws: AudioServerError.self) { try await player.setVolume(50) }
    }

    /// How many of this process's threads have `name` (/proc/self/task/*/comm).
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return comm.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }

    @Test func cancellingAJobStopsItsSpeech() async throws {
        let server = try AudioServerProcesses(.pipewire)
        defer { server.stopAll() }
        try server.addNullSink("headphones")
        let (audio, log) = Self.connect(server, outputs: ["hp": "headphones"])
        defer { audio.stop() }
        #expect(log.wait("hp") { $0 == .idle })
        let player = SinkPlayer(output: "hp", sink: "headphones", server: audio)
        // A synthesizer that never finishes: the job waits for its next chunk until cancelled.
        let speech = SpeechStream()
        speech.yield(Self.speechChunk(seconds: 0.2))
        let job = Task { try await player.play([.speech(speech)], priority: .announcement) }
        // Playing its first chunk: the stream is uncorked.
        let playing = try await Self.waitStreams(server, output: "hp") { $0.contains { !$0.corked } }
        #expect(playing.contains { !$0.corked }, "\(playing)")
        job.cancel()
        await #expect(throws: CancellationError.self) { try await job.value }
        #expect(speech.isCancelled, "the synthesis was told to stop")
        // The stream is corked again, ready for the next job.
        let after = try await Self.waitStreams(server, output: "hp") { $0.count == 1 && $0[0].corked }
        #expect(after.count == 1 && after.first?.corked == true, "\(after)")
    }

    /// A mono 16-bit 48 kHz WAV with a sine at −10 dBFS (sox).
    static func writeTone(_ path: String, frequency: Double, seconds: Double) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
        process.arguments = [
            "-n", "-r", "48000", "-c", "1", "-b", "16", path, "synth", "\(seconds)", "sine", "\(frequency)", "vol",
            "-10dB",
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("sox failed") }
    }
}
/// A flag set on one thread and read on another.
final class Flag: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var set = false

    var value: Bool {
        get { lock.withLock { set } }
        set { lock.withLock { set = newValue } }
    }
}
