import Engine
import Testing

@testable import Speech

@Suite("The cache of recent utterances")
struct SpeechCacheTests {
    private func pcm(_ count: Int, _ value: Int16 = 1) -> PCMSamples {
        PCMSamples(samples: [Int16](repeating: value, count: count), sampleRate: 22_050)
    }

    @Test("a repeated request is served without calling the library again")
    func repeatedRequest() async throws {
        let synthesizer = EspeakSynthesizer()
        let first = try await synthesizer.synthesize("The laundry is done.", voice: "en", rate: 175)
        let second = try await synthesizer.synthesize("The laundry is done.", voice: "en", rate: 175)
        #expect(first == second)
        #expect(synthesizer.statistics == .init(syntheses: 1, cacheHits: 1, cachedEntries: 1))
        // Another voice or rate is another utterance.
        _ = try await synthesizer.synthesize("The laundry is done.", voice: "en", rate: 200)
        _ = try await synthesizer.synthesize("The laundry is done.", voice: "en-us", rate: 175)
        #expect(synthesizer.statistics == .init(syntheses: 3, cacheHits: 1, cachedEntries: 3))
    }

    @Test("a cache of capacity 0 always synthesizes")
    func disabled() async throws {
        let synthesizer = EspeakSynthesizer(cacheCapacity: 0)
        _ = try await synthesizer.synthesize("Twice.", voice: "en", rate: 175)
        _ = try await synthesizer.synthesize("Twice.", voice: "en", rate: 175)
        #expect(synthesizer.statistics == .init(syntheses: 2, cacheHits: 0, cachedEntries: 0))
    }

    @Test("the least recently used entry is evicted first")
    func leastRecentlyUsed() {
        var cache = SpeechCache(capacity: 2, sampleBudget: 1_000)
        let a = SpeechRequest(text: "a")
        let b = SpeechRequest(text: "b")
        let c = SpeechRequest(text: "c")
        cache.insert(pcm(10, 1), for: a)
        cache.insert(pcm(10, 2), for: b)
        #expect(cache.lookup(a) == pcm(10, 1))  // a is now the most recent
        cache.insert(pcm(10, 3), for: c)
        #expect(cache.count == 2)
        #expect(cache.lookup(b) == nil)
        #expect(cache.lookup(a) == pcm(10, 1))
        #expect(cache.lookup(c) == pcm(10, 3))
    }

    @Test("the sample budget bounds the memory held")
    func sampleBudget() {
        var cache = SpeechCache(capacity: 16, sampleBudget: 100)
        cache.insert(pcm(60), for: SpeechRequest(text: "first"))
        cache.insert(pcm(60), for: SpeechRequest(text: "second"))
        #expect(cache.count == 1)
        #expect(cache.lookup(SpeechRequest(text: "second")) != nil)
        cache.insert(pcm(500), for: SpeechRequest(text: "too long"))
        #expect(cache.lookup(SpeechRequest(text: "too long")) == nil)
        #expect(cache.count == 1)
    }

    @Test("replacing an entry keeps the count of held samples right")
    func replace() {
        var cache = SpeechCache(capacity: 4, sampleBudget: 100)
        let key = SpeechRequest(text: "same")
        cache.insert(pcm(80), for: key)
        cache.insert(pcm(90), for: key)
        cache.insert(pcm(10), for: SpeechRequest(text: "other"))
        #expect(cache.count == 2)
        #expect(cache.lookup(key) == pcm(90))
    }
}

@Suite("The cache under concurrency")
struct SpeechCacheConcurrencyTests {
    @Test("many tasks asking for the same few texts at once synthesize each text once")
    func concurrentRepeats() async throws {
        let synthesizer = EspeakSynthesizer()
        let texts = (0..<4).map { "Reminder number \($0): take a break." }
        let results = try await withThrowingTaskGroup(of: (String, PCMSamples).self) { group in
            for index in 0..<40 {
                let text = texts[index % texts.count]
                group.addTask { (text, try await synthesizer.synthesize(text, voice: "en", rate: 175)) }
            }
            var all: [(String, PCMSamples)] = []
            for try await result in group {
                all.append(result)
            }
            return all
        }
        #expect(results.count == 40)
        #expect(synthesizer.statistics == .init(syntheses: 4, cacheHits: 36, cachedEntries: 4))
        for text in texts {
            let renderings = results.filter { $0.0 == text }.map(\.1)
            #expect(renderings.count == 10)
            #expect(renderings.allSatisfy { $0 == renderings[0] }, "one text, one rendering")
        }
    }
}
