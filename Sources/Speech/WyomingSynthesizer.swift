import Engine
import FoundationEssentials
import RoutineModel
import ThreadExecutor

/// A voice a Wyoming server offers (from its `info`).
public struct WyomingVoice: Sendable, Equatable {
    public var name: String
    public var languages: [String]
}

/// Speech from a Wyoming server (`wyoming-piper` and others), as the `wyoming` project documents the
/// protocol: `synthesize` `{"text", "voice": {"name"}}` is answered by `audio-start`, `audio-chunk`s
/// (`{"rate", "width", "channels"}` + PCM payload) and `audio-stop`; `describe` by `info`.
///
/// Each utterance gets a connection and a thread of its own, which end with it: while nothing is
/// spoken there is no connection and nothing wakes up.
public final class WyomingSynthesizer: Sendable {
    /// The engine's name in the config (`piper`).
    public let name: String
    public let config: SpeechEngineConfig

    public init(name: String, config: SpeechEngineConfig) {
        self.name = name
        self.config = config
    }

    /// `piper (tcp://127.0.0.1:10200)`, for messages.
    public var server: String { "\(name) (\(config.uri))" }

    /// Starts speaking `text` with `voice` (nil: the server's default) into `stream`, on a thread of
    /// its own, and returns at once. Chunks are appended as they arrive. When the server cannot be
    /// used before the first chunk (down, slower than the timeouts, an unknown voice, an error),
    /// `fallback` is called with the reason instead, on that thread; after the first chunk a failure
    /// ends the stream with the error.
    public func speak(
        _ text: String, voice: String?, into stream: SpeechStream, fallback: @escaping @Sendable (WyomingError) -> Void
    ) {
        DedicatedThreadExecutor.spawn(name: "routines-wyoming") { [self] in
            do throws(WyomingError) {
                try synthesize(text, voice: voice, into: stream)
                stream.finish()
            } catch {
                if stream.hasAudio { stream.finish(throwing: error) } else { fallback(error) }
            }
        }
    }

    /// One `synthesize` exchange, blocking the calling thread.
    func synthesize(_ text: String, voice: String?, into stream: SpeechStream) throws(WyomingError) {
        let connection = try WyomingConnection(
            host: config.host, port: config.port, timeout: config.connectTimeout, server: server)
        let data = SynthesizeData(text: text, voice: voice.map { SynthesizeData.Voice(name: $0) })
        try connection.send(type: "synthesize", data: data, deadline: .now + config.connectTimeout)
        var format = (rate: 22_050, width: 2, channels: 1)
        while true {
            let what = stream.hasAudio ? "the next audio chunk" : "the first audio chunk"
            let event = try connection.receive(until: .now + config.timeout, waitingFor: what)
            switch event.type {
            case "audio-start":
                format = try Self.format(of: event.data, default: format, server: server)
            case "audio-chunk":
                format = try Self.format(of: event.data, default: format, server: server)
                let samples = try Self.samples(event.payload, width: format.width, server: server)
                guard stream.yield(PCMSamples(samples: samples, sampleRate: format.rate, channels: format.channels))
                else {
                    return  // the playback was cancelled: stop listening
                }
            case "audio-stop":
                return
            case "error":
                let message = event.data["text"]?.stringValue ?? "no reason given"
                let code = event.data["code"]?.stringValue.map { " (\($0))" } ?? ""
                throw WyomingError(.serverError, server: server, "answered with an error: \(message)\(code)")
            default:
                continue  // other events (such as `synthesize-stopped`) do not concern us
            }
        }
    }

    /// The voices the server offers (`describe` → `info`), blocking the calling thread.
    public func voices() throws(WyomingError) -> [WyomingVoice] {
        let connection = try WyomingConnection(
            host: config.host, port: config.port, timeout: config.connectTimeout, server: server)
        try connection.send(type: "describe", data: NoData(), deadline: .now + config.connectTimeout)
        while true {
            let event = try connection.receive(until: .now + config.timeout, waitingFor: "its info")
            guard event.type == "info" else { continue }
            var voices: [WyomingVoice] = []
            for program in event.data["tts"]?.arrayValue ?? [] {
                for voice in program["voices"]?.arrayValue ?? [] {
                    guard let name = voice["name"]?.stringValue else { continue }
                    let languages = voice["languages"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    voices.append(WyomingVoice(name: name, languages: languages))
                }
            }
            return voices
        }
    }

    /// `rate`, `width` and `channels` of an audio event (the previous format where one is missing).
    static func format(of data: JSONValue, default current: (rate: Int, width: Int, channels: Int), server: String)
        throws(WyomingError) -> (rate: Int, width: Int, channels: Int)
    {
        func field(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(WyomingError) -> Int {
            guard let value = data[key], value != .null else { return fallback }
            guard let number = value.numberValue, let integer = Int(exactly: number), range.contains(integer) else {
                throw WyomingError(
                    .unsupportedAudio, server: server, "sent audio with \(key) \(value), which we cannot play")
            }
            return integer
        }
        return (
            try field("rate", current.rate, 4_000...192_000), try field("width", current.width, 1...4),
            try field("channels", current.channels, 1...8)
        )
    }

    /// Little-endian PCM of `width` bytes per sample (8-bit unsigned, 16/24/32-bit signed) → 16-bit.
    static func samples(_ payload: [UInt8], width: Int, server: String) throws(WyomingError) -> [Int16] {
        guard payload.count % width == 0 else {
            throw WyomingError(
                .malformed, server: server,
                "sent an audio chunk of \(payload.count) bytes, not whole \(width)-byte samples")
        }
        let count = payload.count / width
        return payload.withUnsafeBytes { bytes in
            (0..<count).map { index in
                let at = index * width
                switch width {
                case 1: return Int16(Int(bytes[at]) - 128) << 8
                case 2: return Int16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
                default: return Int16(bitPattern: UInt16(bytes[at + width - 2]) | UInt16(bytes[at + width - 1]) << 8)
                }
            }
        }
    }
}
