import Engine
import FoundationEssentials
import RoutineModel
import Synchronization
import ThreadExecutor

/// The daemon's speech: espeak-ng built in, plus the Wyoming engines of the config's `speech`.
///
/// A voice picks the engine (`SpeechVoice`: `piper:en_US-joe-medium`, `piper`, `en-us`, or empty for
/// the default engine). A Wyoming engine that cannot speak before its first chunk (server down,
/// slower than its timeouts, voice unknown there) is replaced by espeak-ng for that announcement,
/// and the stream notes why; the next announcement tries the engine again.
public final class SpeechEngines: SpeechSynthesizer {
    public let espeak: EspeakSynthesizer
    public let config: SpeechConfig
    public let wyoming: [String: WyomingSynthesizer]
    /// espeak-ng voices chosen for fallbacks, by Wyoming voice name.
    private let fallbackVoices = Mutex<[String: String]>([:])

    public init(config: SpeechConfig, espeak: EspeakSynthesizer) {
        self.config = config
        self.espeak = espeak
        wyoming = config.engines.reduce(into: [:]) { $0[$1.key] = WyomingSynthesizer(name: $1.key, config: $1.value) }
    }

    /// The whole utterance (for callers that need it at once; announcements stream).
    public func synthesize(_ text: String, voice: String, rate: Int) async throws -> PCMSamples {
        let choice = SpeechVoice(voice, config: config)
        if choice.isBuiltIn { return try await espeak.synthesize(text, voice: choice.voice ?? "", rate: rate) }
        let stream = try await self.stream(text, voice: voice, rate: rate)
        return try await withCheckedThrowingContinuation { continuation in
            // Collecting blocks until the last chunk: on a thread of its own, not the task pool.
            DedicatedThreadExecutor.spawn(name: "routines-speech-wait") {
                continuation.resume(
                    with: Result { try stream.collect() ?? PCMSamples(samples: [], sampleRate: 22_050) })
            }
        }
    }

    /// Starts speaking `text`; see the type's description for engines and fallbacks.
    public func stream(_ text: String, voice: String, rate: Int) async throws -> SpeechStream {
        let choice = SpeechVoice(voice, config: config)
        if choice.isBuiltIn { return try await espeak.stream(text, voice: choice.voice ?? "", rate: rate) }
        guard let engine = wyoming[choice.engine] else {
            throw SpeechEngineError.unknownEngine(choice.engine, known: wyoming.keys.sorted() + [SpeechConfig.builtIn])
        }
        let engineVoice = choice.voice ?? engine.config.voice
        let fallbackVoice = await espeakVoice(for: engineVoice)
        let request = espeak.request(text, voice: fallbackVoice, rate: rate)
        try request.validate()
        let stream = SpeechStream()
        let espeak = espeak
        engine.speak(text, voice: engineVoice, into: stream) { reason in
            stream.noteFallback("spoken by espeak-ng (\(fallbackVoice)) instead: \(reason)")
            espeak.stream(request, into: stream)
        }
        return stream
    }

    /// The espeak-ng voice closest to a Wyoming voice's language (`en_US-joe-medium` → `en-us`, else
    /// `en`), for fallbacks.
    func espeakVoice(for voice: String?) async -> String {
        guard let voice else { return "en" }
        if let known = fallbackVoices.withLock({ $0[voice] }) { return known }
        let language = String(voice.prefix { $0 != "-" }.map { $0 == "_" ? "-" : $0 }).lowercased()
        var chosen = "en"
        for candidate in [language, String(language.prefix { $0 != "-" })] where !candidate.isEmpty {
            if case .known? = try? await espeak.checkVoice(candidate) {
                chosen = candidate
                break
            }
        }
        fallbackVoices.withLock { $0[voice] = chosen }
        return chosen
    }

    /// Problems with the voices of a routine's announcements: espeak-ng voices against espeak-ng;
    /// Wyoming voices against the server's `info` when `askServers` (a server that does not answer
    /// gives a warning that the voice could not be checked).
    public func voiceDiagnostics(for routine: Routine, file: String, askServers: Bool) async -> [Diagnostic] {
        var diagnostics = await espeak.voiceDiagnostics(for: routine, file: file) { [config] voice in
            let choice = SpeechVoice(voice, config: config)
            return choice.isBuiltIn ? choice.voice : nil
        }
        guard askServers else { return diagnostics }
        var offered: [String: Result<[WyomingVoice], WyomingError>] = [:]
        for (index, action) in routine.actions.enumerated() {
            guard case .announce(let spec) = action.kind else { continue }
            let choice = SpeechVoice(spec.voice, config: config)
            if choice.isBuiltIn { continue }
            guard let engine = wyoming[choice.engine] else {
                diagnostics.append(
                    Diagnostic(
                        severity: .warning, file: file, path: "actions[\(index)].voice",
                        message: "not checked: the speech engine '\(choice.engine)' is not in the config"
                            + " (name the config.json that defines it with --config)"))
                continue
            }
            guard let voice = choice.voice ?? engine.config.voice else { continue }
            if offered[choice.engine] == nil {
                offered[choice.engine] = await Self.onThread { () throws(WyomingError) in try engine.voices() }
            }
            let path = "actions[\(index)].voice"
            switch offered[choice.engine]! {
            case .failure(let error):
                diagnostics.append(
                    Diagnostic(
                        severity: .warning, file: file, path: path,
                        message: "could not check voice '\(voice)': \(error); it is checked when spoken"))
            case .success(let voices) where !voices.contains(where: { $0.name == voice }):
                let close = Self.closest(voice, in: voices.map(\.name)).map { "'\($0)'" }
                let hint =
                    close.isEmpty ? "; the server offers no voices" : "; did you mean \(close.joined(separator: ", "))?"
                diagnostics.append(
                    Diagnostic(file: file, path: path, message: "\(engine.server) has no voice '\(voice)'\(hint)"))
            case .success:
                break
            }
        }
        return diagnostics
    }

    /// The three names closest to `name` (edit distance, ignoring case).
    static func closest(_ name: String, in names: [String]) -> [String] {
        let target = name.lowercased()
        let scored: [(name: String, distance: Int)] = names.map { ($0, Suggestions.distance(target, $0.lowercased())) }
        let sorted = scored.sorted { a, b in a.distance != b.distance ? a.distance < b.distance : a.name < b.name }
        return sorted.prefix(3).map(\.name)
    }

    /// Runs a blocking call on a thread of its own.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws(WyomingError) -> T) async
        -> Result<T, WyomingError>
    {
        await withCheckedContinuation { continuation in
            DedicatedThreadExecutor.spawn(name: "routines-wyoming") {
                continuation.resume(returning: Result { () throws(WyomingError) -> T in try body() })
            }
        }
    }
}

/// Errors of the engine choice itself.
public enum SpeechEngineError: Error, Sendable, CustomStringConvertible {
    case unknownEngine(String, known: [String])

    public var description: String {
        switch self {
        case .unknownEngine(let name, let known):
            return "no speech engine named '\(name)' in config.json's speech.engines"
                + Suggestions.hint(for: name, in: known)
        }
    }
}
