import Engine
// Imported here too: left implicit, a debug build autolinks its C shims, which only the static SDK has.
import FoundationEssentials
import Synchronization

/// Speech through libespeak-ng, in process, with a small cache of recent utterances.
///
/// Samples are mono 16-bit at espeak-ng's rate (22050 Hz), rendered as `espeak-ng --stdout` renders
/// the same text, voice and rate: the first utterance of a process is sample-identical; later ones
/// have the same words and pauses but may differ by a few percent in timing, because libespeak-ng
/// keeps state between utterances (its pitch-flutter phase; timing that depends on the previous one)
/// that no API resets.
///
/// All instances share the one owner of the library, which runs every call on a dedicated thread;
/// each instance has its own cache.
public final class EspeakSynthesizer: SpeechSynthesizer {
    /// What an instance has done so far, for tests and metrics.
    public struct Statistics: Sendable, Equatable {
        /// Requests that reached libespeak-ng.
        public var syntheses = 0
        /// Requests served from the cache.
        public var cacheHits = 0
        /// Utterances currently cached.
        public var cachedEntries = 0
    }

    private struct State: Sendable {
        var cache: SpeechCache
        var statistics = Statistics()
    }

    /// Base pitch for `synthesize(_:voice:rate:)` (0–100, 50 is normal).
    public let pitch: Int
    /// Amplitude for `synthesize(_:voice:rate:)` (0–200, 100 is normal).
    public let volume: Int
    private let library = EspeakLibrary.shared
    private let state: Mutex<State>

    /// Creates a synthesizer.
    /// - Parameters:
    ///   - pitch: base pitch 0–100 used by `synthesize(_:voice:rate:)`.
    ///   - volume: amplitude 0–200 used by `synthesize(_:voice:rate:)`.
    ///   - cacheCapacity: how many recent utterances to keep (0 turns the cache off).
    ///   - cacheSampleBudget: most samples kept in the cache (default: two minutes of speech).
    public init(pitch: Int = 50, volume: Int = 100, cacheCapacity: Int = 16, cacheSampleBudget: Int = 120 * 22_050) {
        self.pitch = pitch
        self.volume = volume
        state = Mutex(State(cache: SpeechCache(capacity: cacheCapacity, sampleBudget: cacheSampleBudget)))
    }

    /// Speaks `text` with `voice` (empty: `en`) at `rate` words per minute, using this synthesizer's
    /// pitch and volume.
    public func synthesize(_ text: String, voice: String, rate: Int) async throws -> PCMSamples {
        try await synthesize(request(text, voice: voice, rate: rate))
    }

    /// The request for the engine-facing calls; an empty voice is espeak-ng's default, `en`.
    func request(_ text: String, voice: String, rate: Int) -> SpeechRequest {
        SpeechRequest(text: text, voice: voice.isEmpty ? "en" : voice, rate: rate, pitch: pitch, volume: volume)
    }

    /// Starts speaking `text` and returns at once with the stream the synthesis fills chunk by chunk
    /// (espeak-ng's synth callback), so playback starts with the first chunk.
    public func stream(_ text: String, voice: String, rate: Int) async throws -> SpeechStream {
        try stream(request(text, voice: voice, rate: rate))
    }

    /// Streams `request`: from the cache (one finished chunk) when it was spoken recently.
    /// - Throws: `SpeechError` for a bad text, rate, pitch or volume; an unknown voice ends the stream.
    public func stream(_ request: SpeechRequest) throws(SpeechError) -> SpeechStream {
        try request.validate()
        if let cached = cached(request) { return .finished(cached) }
        let stream = SpeechStream()
        library.stream(request, into: stream, cachedBy: self)
        return stream
    }

    /// Streams `request` (already validated) into a stream another engine started, which fell back
    /// to espeak-ng before its first chunk.
    func stream(_ request: SpeechRequest, into stream: SpeechStream) {
        library.stream(request, into: stream, cachedBy: self)
    }

    /// Speaks `request`, from the cache when the same request was spoken recently.
    /// - Throws: `SpeechError` naming the bad voice (with suggestions), text, rate, pitch or volume.
    public func synthesize(_ request: SpeechRequest) async throws(SpeechError) -> PCMSamples {
        try request.validate()
        if let cached = cached(request) { return cached }
        return try await library.synthesize(request, cachedBy: self)
    }

    /// The cached samples of `request`, counted as a hit.
    func cached(_ request: SpeechRequest) -> PCMSamples? {
        state.withLock { state in
            let found = state.cache.lookup(request)
            if found != nil { state.statistics.cacheHits += 1 }
            return found
        }
    }

    /// Keeps the samples the library just made for `request`.
    func remember(_ samples: PCMSamples, for request: SpeechRequest) {
        state.withLock { state in
            state.cache.insert(samples, for: request)
            state.statistics.syntheses += 1
        }
    }

    /// Counters since this instance was created.
    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.cachedEntries = state.cache.count
            return statistics
        }
    }

    /// Starts the library and loads `voice`, so the first announcement does not pay for it (about
    /// 10 ms); the daemon calls this at start. Throws when the library cannot start or the voice is unknown.
    public func prepare(voice: String = "en") async throws(SpeechError) {
        if case .unknown(let suggestions) = try await checkVoice(voice) {
            throw .unknownVoice(voice, suggestions: suggestions)
        }
    }

    /// espeak-ng's sample rate (Hz); starts the library if needed.
    public func sampleRate() async throws(SpeechError) -> Int {
        try await library.sampleRate()
    }

    /// The library's version and the data folder it uses (for `routines status` and bug reports);
    /// starts the library if needed.
    public func libraryInfo() async throws(SpeechError) -> SpeechLibraryInfo {
        try await library.info()
    }
}

/// What libespeak-ng reports about itself.
public struct SpeechLibraryInfo: Sendable, Equatable {
    /// Such as `1.51`.
    public var version: String
    /// The `espeak-ng-data` folder in use (`ESPEAK_DATA_PATH` when set and valid).
    public var dataPath: String
    /// Hz of the samples it produces.
    public var sampleRate: Int
}
