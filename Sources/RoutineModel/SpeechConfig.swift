/// `"speech"` in `config.json`: speech engines besides the built-in espeak-ng, and the default one.
public struct SpeechConfig: Sendable, Equatable {
    /// The built-in engine's name, usable as a voice prefix (`"espeak-ng:de"`) and as `default`.
    public static let builtIn = "espeak-ng"

    /// Engine name → how to reach it.
    public var engines: [String: SpeechEngineConfig]
    /// The engine of announcements without a `voice` (and of voices without an `ENGINE:` prefix
    /// only when it is espeak-ng; see `SpeechVoice`).
    public var defaultEngine: String

    public init(engines: [String: SpeechEngineConfig] = [:], defaultEngine: String = SpeechConfig.builtIn) {
        self.engines = engines
        self.defaultEngine = defaultEngine
    }
}

/// One Wyoming speech server (`{"wyoming": "tcp://HOST:PORT"}`), such as `wyoming-piper`.
public struct SpeechEngineConfig: Sendable, Equatable {
    /// Host name or address of the server.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Voice used when an announcement names only the engine; nil: the server's own default.
    public var voice: String?
    /// How long connecting may take before espeak-ng speaks instead.
    public var connectTimeout: Duration
    /// How long the first audio chunk (and each one after it) may take.
    public var timeout: Duration

    public init(
        host: String, port: Int, voice: String? = nil, connectTimeout: Duration = .seconds(1),
        timeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.voice = voice
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// `tcp://HOST:PORT`, as written in the config.
    public var uri: String { "tcp://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// An announcement's `voice` split into engine and voice: `"piper:en_US-joe-medium"`, `"piper"` (the
/// engine's default voice), `"espeak-ng:de"`, `"de"` (espeak-ng), or empty (the default engine).
public struct SpeechVoice: Sendable, Equatable {
    /// A configured engine's name or `espeak-ng`.
    public var engine: String
    /// The engine's voice; nil: its default.
    public var voice: String?

    public init(engine: String, voice: String?) {
        self.engine = engine
        self.voice = voice
    }

    /// Splits `text` by `config`'s engines. A name without `:` is an engine when one is configured
    /// under that name, else an espeak-ng voice.
    public init(_ text: String, config: SpeechConfig) {
        if text.isEmpty {
            self.init(engine: config.defaultEngine, voice: nil)
        } else if let colon = text.firstIndex(of: ":") {
            let voice = String(text[text.index(after: colon)...])
            self.init(engine: String(text[..<colon]), voice: voice.isEmpty ? nil : voice)
        } else if config.engines[text] != nil {
            self.init(engine: text, voice: nil)
        } else {
            self.init(engine: SpeechConfig.builtIn, voice: text)
        }
    }

    /// Whether espeak-ng speaks it.
    public var isBuiltIn: Bool { engine == SpeechConfig.builtIn }
}

extension ActionDecoding {
    /// An `ENGINE:VOICE` must name espeak-ng or an engine of the config's `speech.engines`.
    static func checkVoiceEngine(_ text: String, _ path: String, context: DecodingContext, config: Config) {
        let voice = SpeechVoice(text, config: config.speech)
        guard !voice.isBuiltIn, config.speech.engines[voice.engine] == nil else { return }
        let known = config.speech.engines.keys.sorted() + [SpeechConfig.builtIn]
        context.error(
            path,
            "names the speech engine '\(voice.engine)', which config.json's 'speech.engines' does not define"
                + Suggestions.hint(for: voice.engine, in: known))
    }
}
