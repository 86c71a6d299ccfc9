import Engine
import Foundation
import RoutineModel
import SignalMeasure
import Speech
import Testing

@testable import Audio

/// Speech played while it is synthesized (`AudioItem.speech`): the joins between chunks must not
/// show in what reaches the PCM.
@Suite struct StreamedSpeechTests {
    /// Samples that differ by more than one LSB, and the largest difference.
    static func mismatches(_ a: [Int16], _ b: [Int16]) -> (count: Int, largest: Int) {
        var count = 0
        var largest = 0
        for (x, y) in zip(a, b) {
            let difference = abs(Int(x) - Int(y))
            largest = max(largest, difference)
            if difference > 1 { count += 1 }
        }
        return (count, largest)
    }

    @Test func streamedEspeakNgEqualsTheWholeSentenceThroughThePlayer() async throws {
        let capture = try Capture()
        let speech = EspeakSynthesizer()
        let request = SpeechRequest(
            text: "Good morning. It is seven o'clock on Tuesday, and the weather is fine.", voice: "en", rate: 175)
        // Streamed: chunks from espeak-ng's synth callback, played as they come.
        let stream = try speech.stream(request)
        try await capture.router.play([.speech(stream)], on: "speakers", priority: .announcement)
        // The same utterance whole: the synthesizer kept exactly the chunks it streamed.
        let whole = try await speech.synthesize(request)
        #expect(speech.statistics.syntheses == 1 && speech.statistics.cacheHits == 1)
        try await capture.router.play([.samples(whole)], on: "headphones", priority: .announcement)
        let streamed = capture.samples("speakers")
        let reference = capture.samples("headphones")
        #expect(reference.count > 48_000 * 2 * 3)  // over 3 s of speech at 48 kHz stereo
        #expect(abs(streamed.count - reference.count) <= 2 * 2, "\(streamed.count) vs \(reference.count) samples")
        let (count, largest) = Self.mismatches(streamed, reference)
        #expect(count == 0, "\(count) samples differ by more than 1 LSB (largest \(largest))")
    }

    @Test func espeakNgDeliversTheSentenceInSeveralChunks() async throws {
        let speech = EspeakSynthesizer(cacheCapacity: 0)
        let stream = try speech.stream(
            SpeechRequest(text: "One, two, three, four, five, six, seven, eight, nine, ten.", voice: "en", rate: 175))
        var chunks: [PCMSamples] = []
        while let chunk = try stream.next() { chunks.append(chunk) }
        #expect(chunks.count >= 3, "\(chunks.count) chunks")
        #expect(chunks.allSatisfy { $0.sampleRate == 22_050 && $0.channels == 1 })
        let total = chunks.reduce(0) { $0 + $1.samples.count }
        #expect(total > 22_050 * 2)
    }

    @Test func theFirstChunkPlaysBeforeTheNextExists() async throws {
        let capture = try Capture()
        let firstFrame = DispatchSemaphore(value: 0)
        let player = OutputPlayer(
            output: "speakers", pcm: "speakers", configFile: capture.configFile, linger: 0)
        player.onFirstFrame = { _ in firstFrame.signal() }
        let stream = SpeechStream()
        let tone = Synthesis.tone(
            ToneSpec(frequency: 440, duration: .milliseconds(900), level: -6, fade: .milliseconds(5), waveform: .sine),
            rate: 22_050
        ).map { Int16(($0 * 32767).rounded()) }
        let thirds = stride(from: 0, to: tone.count, by: tone.count / 3).map {
            Array(tone[$0..<min(tone.count, $0 + tone.count / 3)])
        }
        let producer = Thread {
            stream.yield(PCMSamples(samples: thirds[0], sampleRate: 22_050))
            // The player must write the first chunk while the rest does not exist yet.
            let played = firstFrame.wait(timeout: .now() + 10) == .success
            for chunk in thirds.dropFirst() { stream.yield(PCMSamples(samples: chunk, sampleRate: 22_050)) }
            stream.finish(
                throwing: played ? nil : AudioError(output: "", pcm: "", function: "test", message: "no first frame"))
        }
        producer.start()
        try await player.play([.speech(stream)], priority: .announcement)
        // The whole signal, converted at once, for comparison.
        try await player.play([.samples(PCMSamples(samples: tone, sampleRate: 22_050))], priority: .announcement)
        let all = capture.samples("speakers")
        let half = all.count / 2
        let (count, largest) = Self.mismatches(Array(all[..<half]), Array(all[half...]))
        #expect(all.count % 2 == 0 && abs(half - 2 * 43_200) <= 8, "\(all.count) samples")
        #expect(count == 0, "\(count) samples differ by more than 1 LSB (largest \(largest))")
    }

    @Test func aFailingStreamFailsThePlayAfterItsChunks() async throws {
        let capture = try Capture()
        let stream = SpeechStream()
        stream.yield(PCMSamples(samples: [Int16](repeating: 1000, count: 2205), sampleRate: 22_050))
        stream.finish(throwing: SpeechError.emptyText)
        await #expect(throws: SpeechError.self) {
            try await capture.router.play([.speech(stream)], on: "speakers", priority: .announcement)
        }
        #expect(capture.samples("speakers").count >= 4000 * 2 - 64)
    }
}
