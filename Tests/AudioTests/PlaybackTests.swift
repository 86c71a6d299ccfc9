import Engine
import Foundation
import RoutineModel
import SignalMeasure
import Testing

@testable import Audio

/// Playback through real ALSA (libasound) into the `file` plugin; the captured samples are checked.
@Suite struct PlaybackTests {
    @Test func toneHasItsFrequencyLevelAndFades() async throws {
        let capture = try Capture()
        let spec = ToneSpec(
            frequency: 1000, duration: .milliseconds(500), level: -6, fade: .milliseconds(20), waveform: .sine)
        try await capture.router.play([.tone(spec)], on: "speakers", priority: .normal)
        let left = capture.left("speakers")
        #expect(left.count == 24_000)
        #expect(abs(Measure.peakDBFS(left) - -6) < 0.1, "peak \(Measure.peakDBFS(left)) dBFS")
        #expect(Measure.goertzel(left, frequency: 1000) > 0.9)
        #expect(Measure.goertzel(left, frequency: 1500) < 0.01)
        // Raised-cosine fades: starts and ends at zero, no step larger than the sine's own.
        #expect(abs(left[0]) < 2 && abs(left[left.count - 1]) < 50)
        let ownStep = 32767 * pow(10, -6.0 / 20) * 2 * Double.pi * 1000 / 48_000
        #expect(Measure.maxStep(left[0..<960]) <= ownStep * 1.01)
        // Stereo: both channels equal.
        let all = capture.samples("speakers")
        #expect(stride(from: 0, to: all.count, by: 2).allSatisfy { all[$0] == all[$0 + 1] })
        #expect(capture.written.all.contains("speakers"))
    }

    @Test(arguments: [Waveform.square, .triangle, .white, .pink, .brown])
    func waveformsPeakAtTheirLevel(_ waveform: Waveform) async throws {
        let capture = try Capture()
        let spec = ToneSpec(
            frequency: 440, duration: .milliseconds(300), level: -12, fade: .milliseconds(5), waveform: waveform)
        try await capture.router.play([.tone(spec)], on: "speakers", priority: .normal)
        let left = capture.left("speakers")
        #expect(abs(Measure.peakDBFS(left) - -12) < 0.1, "\(waveform): \(Measure.peakDBFS(left))")
    }

    @Test func keepAliveDefaultIs20HzAtMinus42() async throws {
        let capture = try Capture()
        try await capture.router.play([.keepAlive(KeepAliveSpec())], on: "headphones", priority: .keepAlive)
        let left = capture.left("headphones")
        #expect(left.count == 96_000)
        #expect(abs(Measure.peakDBFS(left) - -42) < 0.2)
        #expect(Measure.goertzel(left, frequency: 20) > 0.9)
        #expect(capture.samples("speakers").isEmpty)
    }

    @Test func fluctuateAlternatesOneLSB() async throws {
        let capture = try Capture()
        try await capture.router.play(
            [.keepAlive(KeepAliveSpec(signal: .fluctuate, duration: .milliseconds(100)))], on: "speakers",
            priority: .keepAlive)
        let left = capture.left("speakers")
        #expect(left.count == 4800)
        #expect(left.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0 ? 1 : -1) })
    }

    @Test func onlyTheNamedOutputReceivesAudio() async throws {
        let capture = try Capture()
        try await capture.router.play([.silence(.milliseconds(100))], on: "headphones", priority: .normal)
        #expect(capture.samples("headphones").count == 9600)
        #expect(capture.samples("speakers").isEmpty)
    }

    @Test func concurrentPlaysOnOneOutputNeverInterleave() async throws {
        let capture = try Capture()
        let a = ToneSpec(frequency: 500, duration: .milliseconds(400), level: -6, fade: .zero)
        let b = ToneSpec(frequency: 3000, duration: .milliseconds(400), level: -6, fade: .zero)
        async let first: Void = capture.router.play([.tone(a), .tone(a)], on: "speakers", priority: .normal)
        async let second: Void = capture.router.play([.tone(b), .tone(b)], on: "speakers", priority: .normal)
        _ = try await (first, second)
        let left = capture.left("speakers")
        #expect(left.count == 4 * 19_200)
        // Each 400 ms block is one pure tone, and each job's two blocks are adjacent.
        let blocks = (0..<4).map { Array(left[($0 * 19_200)..<(($0 + 1) * 19_200)]) }
        let isA = blocks.map { Measure.goertzel($0, frequency: 500) > 0.9 }
        let isB = blocks.map { Measure.goertzel($0, frequency: 3000) > 0.9 }
        #expect(zip(isA, isB).allSatisfy { $0 != $1 })
        #expect(isA == [true, true, false, false] || isA == [false, false, true, true])
    }

    @Test func announcementGoesAheadOfQueuedKeepAlive() async throws {
        let capture = try Capture()
        let player = try #require(capture.router.players["speakers"])
        let normal = ToneSpec(frequency: 200, duration: .milliseconds(100), level: -6, fade: .zero)
        let speech = ToneSpec(frequency: 2000, duration: .milliseconds(100), level: -6, fade: .zero)
        let burst = KeepAliveSpec(frequency: 20, duration: .milliseconds(100), fade: .zero)
        // Queue a keep-alive, then normal audio, then an announcement while the player is held.
        player.hold()
        async let first: Void = capture.router.play([.keepAlive(burst)], on: "speakers", priority: .keepAlive)
        try await waitUntilQueued(player, 1)
        async let second: Void = capture.router.play([.tone(normal)], on: "speakers", priority: .normal)
        try await waitUntilQueued(player, 2)
        async let third: Void = capture.router.play([.tone(speech)], on: "speakers", priority: .announcement)
        try await waitUntilQueued(player, 3)
        player.release()
        _ = try await (first, second, third)
        let left = capture.left("speakers")
        let block = 4800
        #expect(left.count == 3 * block)
        let order = (0..<3).map { Array(left[($0 * block)..<(($0 + 1) * block)]) }
        #expect(Measure.goertzel(order[0], frequency: 2000) > 0.9, "announcement first")
        #expect(Measure.goertzel(order[1], frequency: 200) > 0.9, "then normal audio")
        #expect(abs(Measure.peakDBFS(order[2]) - -42) < 0.2, "the keep-alive burst last")
    }

    func waitUntilQueued(_ player: OutputPlayer, _ count: Int) async throws {
        for _ in 0..<500 where player.queuedJobs < count {
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(player.queuedJobs == count)
    }

    @Test func missingDeviceNamesOutputAndPCM() async throws {
        let capture = try Capture()
        await #expect {
            try await capture.router.play([.silence(.milliseconds(10))], on: "missing", priority: .normal)
        } throws: { error in
            let text = "\(error)"
            return text.contains("output 'missing'") && text.contains("no_such_pcm") && text.contains("snd_pcm_open")
        }
        // The other outputs keep working.
        try await capture.router.play([.silence(.milliseconds(10))], on: "speakers", priority: .normal)
        #expect(capture.samples("speakers").count == 960)
    }

    @Test func unknownOutputIsAnError() async throws {
        let capture = try Capture()
        await #expect(throws: EngineError.self) {
            try await capture.router.play([.silence(.milliseconds(10))], on: "kitchen", priority: .normal)
        }
    }

    @Test func wavFileIsSampleAccurateAtEqualRateAndResampledOtherwise() async throws {
        let capture = try Capture()
        // A 48 kHz mono and a 22.05 kHz mono sine made by sox.
        let same = capture.dir + "/same.wav"
        let low = capture.dir + "/low.wav"
        for (path, rate) in [(same, "48000"), (low, "22050")] {
            let sox = Process()
            sox.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
            sox.arguments = [
                "-n", "-r", rate, "-c", "1", "-b", "16", path, "synth", "0.25", "sine", "750", "vol", "0.5",
            ]
            try sox.run()
            sox.waitUntilExit()
            #expect(sox.terminationStatus == 0)
        }
        try await capture.router.play(
            [.file(try OpenedSoundFile(opening: same), gain: 0)], on: "speakers", priority: .normal)
        let original = try #require(FileManager.default.contents(atPath: same))
        let pcm = original.suffix(12_000 * 2).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let left = capture.left("speakers").map { Int16($0) }
        #expect(left == pcm, "decoded samples equal the file's")

        let second = try Capture()
        try await second.router.play(
            [.file(try OpenedSoundFile(opening: low), gain: -6)], on: "speakers", priority: .normal)
        let resampled = second.left("speakers")
        #expect(abs(resampled.count - 12_000) <= 2)
        #expect(Measure.goertzel(resampled, frequency: 750) > 0.9)
        #expect(abs(Measure.peakDBFS(resampled) - (20 * log10(0.5) - 6)) < 0.3)
    }

    /// The player decodes the descriptor it was given, not the name: a file swapped for another
    /// after it was opened (and checked) still plays the original (issue 13, symlink race).
    @Test func soundFileDecodesFromTheCheckedDescriptor() async throws {
        let capture = try Capture()
        let checked = capture.dir + "/checked.wav"
        let other = capture.dir + "/other.wav"
        // Written here rather than by sox: a child process per file races with the other tests'.
        for (path, frequency) in [(checked, 750.0), (other, 440.0)] {
            let samples = (0..<12_000).map { Int16(16384 * sin(2 * Double.pi * frequency * Double($0) / 48_000)) }
            try Data(Self.wav(samples, rate: 48_000)).write(to: URL(fileURLWithPath: path))
        }
        let opened = try OpenedSoundFile(opening: checked)
        try FileManager.default.removeItem(atPath: checked)
        try FileManager.default.createSymbolicLink(atPath: checked, withDestinationPath: other)
        try await capture.router.play([.file(opened, gain: 0)], on: "speakers", priority: .normal)
        let left = capture.left("speakers")
        #expect(left.count == 12_000)
        #expect(Measure.goertzel(left, frequency: 750) > 0.9)
        #expect(Measure.goertzel(left, frequency: 440) < 0.1)
    }

    /// A mono 16-bit PCM WAV file.
    static func wav(_ samples: [Int16], rate: Int) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
        func le16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(v).littleEndian, Array.init) }
        let data = samples.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        return Array("RIFF".utf8) + le32(36 + data.count) + Array("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(1)
            + le32(rate) + le32(rate * 2) + le16(2) + le16(16) + Array("data".utf8) + le32(data.count) + data
    }

    /// A file libsndfile cannot decode leaves the descriptor of its `OpenedSoundFile` open on that
    /// file, for its owner alone to close (once, in its deinit), and so does a file decoded to the
    /// end. libsndfile 1.2.0's sf_open_fd closed the descriptor it was given on failure even when
    /// told not to (libsndfile issue 949): the owner's deinit then closed that number a second
    /// time, whichever part of the process had been given it meanwhile (the foreign close behind
    /// the sporadic SQLite "disk I/O error" and timerfd_settime EINVAL).
    @Test(arguments: [false, true])
    func decodingLeavesTheOwnersDescriptorOpen(decodable: Bool) throws {
        let dir = NSTemporaryDirectory() + "routines-audio-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sound.wav"
        let bytes = decodable ? Self.wav([Int16](repeating: 1000, count: 4800), rate: 48_000) : Array("RIFF-junk".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let opened = try OpenedSoundFile(opening: path)
        for _ in 0..<2 {
            do {
                let stream = try SoundFileStream(
                    source: opened, output: "speakers", pcm: "speakers", rate: 48_000, channels: 2, gain: 0)
                var frames = 0
                while case let block = try stream.next(maxFrames: 1024), !block.isEmpty { frames += block.count / 2 }
                #expect(decodable && frames == 4800)
            } catch {
                #expect(!decodable && "\(error)".contains("sound.wav"))
            }
            // Still open, on the same file (a closed number reused meanwhile would name another).
            var described = stat()
            var named = stat()
            #expect(fstat(opened.descriptor, &described) == 0)
            #expect(stat(path, &named) == 0)
            #expect(described.st_ino == named.st_ino && described.st_dev == named.st_dev)
        }
    }

    @Test func corruptFileNamesTheFile() async throws {
        let capture = try Capture()
        let path = capture.dir + "/broken.wav"
        try Data("RIFF-not-really-a-wave-file".utf8).write(to: URL(fileURLWithPath: path))
        await #expect {
            try await capture.router.play(
                [.file(try OpenedSoundFile(opening: path), gain: 0)], on: "speakers", priority: .normal)
        } throws: { error in
            "\(error)".contains("broken.wav")
        }
    }
}
