import CEspeakNG
import Engine
import FoundationEssentials
import Glibc
import RoutineModel
import ThreadExecutor

/// The one owner of libespeak-ng's process-global state.
///
/// Every call into the library happens in this actor, whose executor is one dedicated thread: the
/// library is used from one place at a time, always the same thread, and its blocking synthesis
/// never runs on Swift's cooperative pool. No C pointer leaves this file.
actor EspeakLibrary {
    /// The process's only instance (the library cannot be initialized twice).
    static let shared = EspeakLibrary()

    private let thread = DedicatedThreadExecutor(name: "routines-speech")

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        thread.asUnownedSerialExecutor()
    }

    /// Set once `espeak_ng_Initialize` succeeded.
    private var outputRate: Int?
    /// The voice name last selected successfully, so a repeated voice is not reloaded.
    private var selectedVoice: String?
    /// The rate, pitch and volume last applied.
    private var appliedParameters: [Int]?
    private var installedVoices: [Voice]?

    private init() {}

    /// Synthesizes `request` (already validated) and returns its samples, mono at the library's rate.
    ///
    /// `owner`'s cache is consulted again here, in the library's turn: a request that waited behind
    /// the same request is served from the cache instead of being synthesized twice.
    func synthesize(_ request: SpeechRequest, cachedBy owner: EspeakSynthesizer) throws(SpeechError) -> PCMSamples {
        if let cached = owner.cached(request) { return cached }
        let samples = try render(request)
        owner.remember(samples, for: request)
        return samples
    }

    /// Starts synthesizing `request` (already validated) into `stream` on the library's thread and
    /// returns at once: each chunk the synth callback delivers is appended as it comes (so it can
    /// play while the rest is synthesized); the whole utterance goes into `owner`'s cache at the end.
    /// Errors end the stream; a cancelled stream stops the synthesis at its next chunk.
    nonisolated func stream(_ request: SpeechRequest, into stream: SpeechStream, cachedBy owner: EspeakSynthesizer) {
        thread.execute { [self] in
            assumeIsolated { library in
                if let cached = owner.cached(request) {
                    stream.yield(cached)
                    stream.finish()
                    return
                }
                do {
                    let samples = try library.render(request, streamingInto: stream)
                    if !stream.isCancelled { owner.remember(samples, for: request) }
                    stream.finish()
                } catch {
                    stream.finish(throwing: error)
                }
            }
        }
    }

    /// Synthesizes `request` without any cache; with `stream`, each chunk is also appended to it.
    private func render(_ request: SpeechRequest, streamingInto stream: SpeechStream? = nil) throws(SpeechError)
        -> PCMSamples
    {
        let rate = try start()
        try select(voice: request.voice)
        try apply(request)
        let sink = SampleSink(stream: stream, rate: rate)
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        let flags = UInt32(espeakCHARS_UTF8) | UInt32(espeakENDPAUSE)
        let status = request.text.withCString { text in
            espeak.espeak_ng_Synthesize!(text, strlen(text) + 1, 0, POS_CHARACTER, 0, flags, nil, context.toOpaque())
        }
        // A cancelled stream aborts the synthesis from the callback; that is not a failure.
        guard status == ENS_OK || stream?.isCancelled == true else {
            throw .synthesisFailed(text: request.text, function: "espeak_ng_Synthesize", reason: Self.message(status))
        }
        return PCMSamples(samples: sink.samples, sampleRate: rate, channels: 1)
    }

    /// The rate of the samples the library produces (Hz).
    func sampleRate() throws(SpeechError) -> Int {
        try start()
    }

    /// Version, data folder and sample rate of the running library.
    func info() throws(SpeechError) -> SpeechLibraryInfo {
        let rate = try start()
        var path: UnsafePointer<CChar>?
        let version = espeak.espeak_Info!(&path).map { String(cString: $0) } ?? ""
        return SpeechLibraryInfo(version: version, dataPath: path.map { String(cString: $0) } ?? "", sampleRate: rate)
    }

    /// Whether the caller runs on the library's dedicated thread (checked by tests).
    func isOnSpeechThread() -> Bool {
        thread.isCurrent
    }

    /// Whether `espeak-ng -v NAME` would accept `name`.
    func accepts(voice name: String) throws(SpeechError) -> Bool {
        _ = try start()
        do {
            try select(voice: name)
            return true
        } catch .unknownVoice {
            return false
        }
    }

    /// The installed voices (variants and MBROLA voices excluded, as `espeak-ng --voices` does).
    func voices() throws(SpeechError) -> [Voice] {
        _ = try start()
        if let installedVoices { return installedVoices }
        var found: [Voice] = []
        if let list = espeak.espeak_ListVoices!(nil) {
            var index = 0
            while let entry = list[index] {
                found.append(Self.voice(entry.pointee))
                index += 1
            }
        }
        // Listing rebuilds the library's voice table; select the voice again before the next synthesis.
        selectedVoice = nil
        appliedParameters = nil
        installedVoices = found
        return found
    }

    // MARK: - Library state

    /// Initializes the library once (data folder from `ESPEAK_DATA_PATH`, else the installed one).
    private func start() throws(SpeechError) -> Int {
        if let outputRate { return outputRate }
        _ = try EspeakFunctions.loaded.get()
        // NULL: the library checks ESPEAK_DATA_PATH (and its espeak-ng-data subfolder), then its default.
        espeak.espeak_ng_InitializePath!(nil)
        var context: espeak_ng_ERROR_CONTEXT?
        let status = espeak.espeak_ng_Initialize!(&context)
        defer { espeak.espeak_ng_ClearErrorContext!(&context) }
        guard status == ENS_OK else {
            throw .libraryUnavailable(dataPath: Self.dataPath(), reason: Self.message(status, context: context))
        }
        let output = espeak.espeak_ng_InitializeOutput!(ENOUTPUT_MODE_SYNCHRONOUS, 0, nil)
        guard output == ENS_OK else {
            throw .libraryUnavailable(dataPath: Self.dataPath(), reason: Self.message(output))
        }
        espeak.espeak_SetSynthCallback!(collectSamples)
        let rate = Int(espeak.espeak_ng_GetSampleRate!())
        outputRate = rate
        return rate
    }

    /// Selects a voice as `espeak-ng -v NAME` does: by name or file, else by language.
    private func select(voice name: String) throws(SpeechError) {
        if name == selectedVoice { return }
        guard !name.allSatisfy(\.isWhitespace) else {
            // The library would quietly take its default voice for an empty name.
            throw .unknownVoice(name, suggestions: [])
        }
        selectedVoice = nil
        appliedParameters = nil
        var status = name.withCString { espeak.espeak_ng_SetVoiceByName!($0) }
        if status != ENS_OK {
            status = name.withCString { language in
                var selector = espeak_VOICE()
                selector.languages = language
                return espeak.espeak_ng_SetVoiceByProperties!(&selector)
            }
        }
        guard status == ENS_OK else {
            let catalog = VoiceCatalog(voices: (try? voices()) ?? [])
            throw .unknownVoice(name, suggestions: catalog.suggestions(for: name))
        }
        selectedVoice = name
    }

    /// Applies rate, pitch and volume when they differ from the last ones applied.
    private func apply(_ request: SpeechRequest) throws(SpeechError) {
        let parameters = [request.rate, request.pitch, request.volume]
        if parameters == appliedParameters { return }
        appliedParameters = nil
        let settings: [(espeak_PARAMETER, Int, String)] = [
            (espeakRATE, request.rate, "rate"), (espeakPITCH, request.pitch, "pitch"),
            (espeakVOLUME, request.volume, "volume"),
        ]
        for (parameter, value, label) in settings {
            let status = espeak.espeak_ng_SetParameter!(parameter, Int32(value), 0)
            guard status == ENS_OK else {
                throw .synthesisFailed(
                    text: request.text, function: "espeak_ng_SetParameter(\(label), \(value))",
                    reason: Self.message(status))
            }
        }
        appliedParameters = parameters
    }

    // MARK: - Conversions

    /// The library's own description of a status code.
    private static func message(_ status: espeak_ng_STATUS) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        espeak.espeak_ng_GetStatusCodeMessage!(status, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.map { String(cString: $0) } ?? ""
        }
        return text.isEmpty ? "status \(status.rawValue)" : text
    }

    /// The library's description of a status with its error context, which names the file it
    /// could not read (only printable to a `FILE *`, so through a memory stream).
    private static func message(_ status: espeak_ng_STATUS, context: espeak_ng_ERROR_CONTEXT?) -> String {
        guard let context else { return message(status) }
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return message(status) }
        espeak.espeak_ng_PrintStatusCodeMessage!(status, stream, context)
        fclose(stream)
        defer { free(buffer) }
        let text = buffer.map { String(cString: $0) } ?? ""
        let trimmed = text.trimming { $0.isWhitespace || $0 == "." }
        return trimmed.isEmpty ? message(status) : trimmed
    }

    /// The data folder the library settled on.
    private static func dataPath() -> String? {
        var path: UnsafePointer<CChar>?
        _ = espeak.espeak_Info!(&path)
        return path.map { String(cString: $0) }
    }

    /// Copies one `espeak_VOICE` (the library owns the memory).
    private static func voice(_ raw: espeak_VOICE) -> Voice {
        let gender: Voice.Gender =
            switch raw.gender {
            case 1: .male
            case 2: .female
            case 3: .neutral
            default: .unspecified
            }
        return Voice(
            name: raw.name.map { String(cString: $0) } ?? "",
            identifier: raw.identifier.map { String(cString: $0) } ?? "",
            languages: raw.languages.map(languages(from:)) ?? [],
            gender: gender)
    }

    /// Parses `languages`: (priority byte, NUL-terminated code) pairs ended by a zero priority byte.
    private static func languages(from list: UnsafePointer<CChar>) -> [Voice.Language] {
        var result: [Voice.Language] = []
        var cursor = UnsafeRawPointer(list).assumingMemoryBound(to: UInt8.self)
        while cursor.pointee != 0 {
            let priority = Int(cursor.pointee)
            cursor += 1
            let code = String(cString: cursor)
            cursor += strlen(UnsafeRawPointer(cursor).assumingMemoryBound(to: CChar.self)) + 1
            result.append(Voice.Language(code: code, priority: priority))
        }
        return result
    }
}

/// Collects the samples of one synthesis, and passes each chunk on to a stream when there is one;
/// reached from the C callback through `user_data`.
private final class SampleSink {
    var samples: [Int16] = []
    let stream: SpeechStream?
    let rate: Int
    init(stream: SpeechStream?, rate: Int) {
        self.stream = stream
        self.rate = rate
    }
}

/// libespeak-ng's synth callback: appends each chunk to the `SampleSink` passed as `user_data`.
/// A top-level function, as a C callback must be; it runs on the library's thread during synthesis.
private func collectSamples(
    _ wave: UnsafeMutablePointer<Int16>?, _ count: Int32, _ events: UnsafeMutablePointer<espeak_EVENT>?
) -> Int32 {
    guard let userData = events?.pointee.user_data else { return 0 }
    let sink = Unmanaged<SampleSink>.fromOpaque(userData).takeUnretainedValue()
    if let wave, count > 0 {
        let chunk = UnsafeBufferPointer(start: wave, count: Int(count))
        sink.samples.append(contentsOf: chunk)
        if let stream = sink.stream, !stream.yield(PCMSamples(samples: Array(chunk), sampleRate: sink.rate)) {
            return 1  // 1: abort, nobody listens any more
        }
    }
    return 0  // 0: continue synthesis
}

/// libespeak-ng's functions, from the library opened on first use.
enum EspeakFunctions {
    static let loaded: Result<routines_espeak_api, SpeechError> = {
        var api = routines_espeak_api()
        if let failure = routines_espeak_load(&api) {
            return .failure(
                .libraryUnavailable(
                    dataPath: nil,
                    reason:
                        "cannot load libespeak-ng.so.1 (\(String(cString: failure))); install it: sudo apt-get install libespeak-ng1"
                ))
        }
        return .success(api)
    }()
}

/// The library's functions. Reached only after `start()` loaded them (it throws when it cannot).
private var espeak: routines_espeak_api {
    guard case .success(let api) = EspeakFunctions.loaded else {
        preconditionFailure("libespeak-ng used before start()")
    }
    return api
}
