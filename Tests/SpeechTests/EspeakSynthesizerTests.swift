import Engine
import Testing

@testable import Speech

@Suite("EspeakSynthesizer with the real libespeak-ng")
struct EspeakSynthesizerTests {
    static let sentence = "Good morning. It is seven thirty on Tuesday, time to get up."

    @Test("samples match espeak-ng --stdout", arguments: [("en", 175), ("en-us", 220), ("de", 150)])
    func matchesCommandLine(voice: String, rate: Int) async throws {
        let synthesizer = EspeakSynthesizer(cacheCapacity: 0)
        let ours = try await synthesizer.synthesize(Self.sentence, voice: voice, rate: rate)
        let reference = try EspeakCommandLine.render(Self.sentence, voice: voice, rate: rate)

        #expect(ours.sampleRate == 22_050)
        #expect(ours.channels == 1)
        #expect(reference.sampleRate == ours.sampleRate)
        #expect(ours.samples.count > 22_050)  // more than a second of speech
        // Not the first utterance of this process: near-identical, not equal (see SpeechShape).
        let shape = SpeechShape(ours.samples, sampleRate: ours.sampleRate)
        let mismatch = shape.mismatch(
            SpeechShape(reference.samples, sampleRate: reference.sampleRate), sampleRate: 22_050)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("the first utterance of a process equals espeak-ng --stdout sample for sample")
    func firstUtteranceIsExact() throws {
        let bench = try SpeechBenchProgram.locate()
        for (voice, rate) in [("en", 175), ("en-us", 220), ("de", 150)] {
            let ours = try SpeechBenchProgram.render(bench, Self.sentence, voice: voice, rate: rate)
            let reference = try EspeakCommandLine.render(Self.sentence, voice: voice, rate: rate)
            let change = difference(
                PCMSamples(samples: ours, sampleRate: 22_050),
                PCMSamples(samples: reference.samples, sampleRate: reference.sampleRate))
            #expect(change == nil, "\(voice) at \(rate) wpm: \(change ?? "")")
        }
    }

    @Test("most of the energy lies in the telephone band, 300–3,400 Hz")
    func speechBand() async throws {
        let samples = try await EspeakSynthesizer().synthesize(Self.sentence, voice: "en", rate: 175)
        let spectrum = Spectrum(samples.samples, sampleRate: samples.sampleRate)
        let share = spectrum.fraction(from: 300, to: 3_400)
        #expect(share > 0.5, "only \(Int(share * 100)) % of the energy is in 300–3,400 Hz")
        let peak = samples.samples.map { Int(abs(Int32($0))) }.max() ?? 0
        #expect(peak > 3_000, "speech should be clearly audible, peak \(peak)")
    }

    @Test("duration scales with the rate")
    func durationFollowsRate() async throws {
        let synthesizer = EspeakSynthesizer(cacheCapacity: 0)
        let slow = try await synthesizer.synthesize(Self.sentence, voice: "en", rate: 120)
        let normal = try await synthesizer.synthesize(Self.sentence, voice: "en", rate: 175)
        let fast = try await synthesizer.synthesize(Self.sentence, voice: "en", rate: 300)
        #expect(slow.samples.count > normal.samples.count)
        #expect(normal.samples.count > fast.samples.count)
        let ratio = Double(slow.samples.count) / Double(fast.samples.count)
        // 300 / 120 = 2.5 in words per minute; pauses scale a little less than words.
        #expect((1.8...3.0).contains(ratio), "120 wpm lasts \(ratio)× as long as 300 wpm")
    }

    @Test("pitch and volume change the samples")
    func pitchAndVolume() async throws {
        let synthesizer = EspeakSynthesizer(cacheCapacity: 0)
        let normal = try await synthesizer.synthesize(SpeechRequest(text: "Hello there.", voice: "en"))
        let quiet = try await synthesizer.synthesize(SpeechRequest(text: "Hello there.", voice: "en", volume: 50))
        let high = try await synthesizer.synthesize(SpeechRequest(text: "Hello there.", voice: "en", pitch: 90))
        func rms(_ pcm: PCMSamples) -> Double {
            let sum = pcm.samples.reduce(0.0) { $0 + Double($1) * Double($1) }
            return (sum / Double(max(1, pcm.samples.count))).squareRoot()
        }
        #expect(rms(quiet) < rms(normal) * 0.7)
        #expect(difference(high, normal) != nil)
    }

    @Test("an unknown voice fails with close matches from espeak-ng's list")
    func unknownVoice() async throws {
        let synthesizer = EspeakSynthesizer()
        let error = await #expect(throws: SpeechError.self) {
            try await synthesizer.synthesize("Hello.", voice: "englsh", rate: 175)
        }
        guard case .unknownVoice(let name, let suggestions)? = error else {
            Issue.record("expected unknownVoice, got \(String(describing: error))")
            return
        }
        #expect(name == "englsh")
        #expect(suggestions.contains("en"))
        #expect(suggestions.count <= 3)
        let message = error?.description ?? ""
        #expect(message.hasPrefix("unknown voice 'englsh'; did you mean 'en'"), "\(message)")
        // A good voice still works after a bad one.
        let after = try await synthesizer.synthesize("Hello.", voice: "en", rate: 175)
        #expect(!after.samples.isEmpty)
    }

    @Test(
        "bad text, rate, pitch and volume are refused before synthesis",
        arguments: [
            (SpeechRequest(text: "  \n"), SpeechError.emptyText),
            (SpeechRequest(text: String(repeating: "a", count: 10_001)), .textTooLong(characters: 10_001)),
            (SpeechRequest(text: "Hi", voice: ""), .unknownVoice("", suggestions: [])),
            (SpeechRequest(text: "Hi", rate: 20), .rateOutOfRange(20)),
            (SpeechRequest(text: "Hi", rate: 900), .rateOutOfRange(900)),
            (SpeechRequest(text: "Hi", pitch: 101), .pitchOutOfRange(101)),
            (SpeechRequest(text: "Hi", volume: -1), .volumeOutOfRange(-1)),
        ])
    func refusedRequests(request: SpeechRequest, expected: SpeechError) async throws {
        let synthesizer = EspeakSynthesizer()
        await #expect(throws: expected) { try await synthesizer.synthesize(request) }
        #expect(synthesizer.statistics.syntheses == 0)
        #expect(!expected.description.isEmpty)
    }

    @Test("concurrent calls from many tasks are serialized on the library's one thread")
    func concurrentCalls() async throws {
        let requests = (0..<24).map { index in
            SpeechRequest(
                text: "Announcement number \(index) for the kitchen.", voice: ["en", "en-us", "de"][index % 3],
                rate: 140 + 10 * (index % 5))
        }
        // Reference: one after another.
        let serial = EspeakSynthesizer(cacheCapacity: 0)
        var expected: [PCMSamples] = []
        for request in requests {
            expected.append(try await serial.synthesize(request))
        }
        // The same requests at once, from separate synthesizers (no shared cache) and tasks.
        let results = try await withThrowingTaskGroup(of: (Int, PCMSamples).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, try await EspeakSynthesizer(cacheCapacity: 0).synthesize(request)) }
            }
            var byIndex: [Int: PCMSamples] = [:]
            for try await (index, samples) in group {
                byIndex[index] = samples
            }
            return byIndex
        }
        #expect(results.count == requests.count)
        for index in requests.indices {
            guard let result = results[index] else { continue }
            // Each result is the utterance asked for, whole: same length, loudness and pauses.
            let mismatch = SpeechShape(result.samples, sampleRate: 22_050)
                .mismatch(SpeechShape(expected[index].samples, sampleRate: 22_050), sampleRate: 22_050)
            #expect(mismatch == nil, "request \(index) run concurrently: \(mismatch ?? "")")
        }
        #expect(await EspeakLibrary.shared.isOnSpeechThread())
    }
}
