/// One step of a routine (SPEC §3).
public struct Action: Sendable, Equatable {
    /// What the step does.
    public var kind: ActionKind
    /// A failure of this step is logged and the run goes on.
    public var continueOnError: Bool

    /// Creates an action.
    public init(_ kind: ActionKind, continueOnError: Bool = false) {
        self.kind = kind
        self.continueOnError = continueOnError
    }
}

/// The kinds of action.
public enum ActionKind: Sendable, Equatable {
    case play(PlaySpec)
    case tone(ToneSpec)
    case keepAlive(KeepAliveSpec)
    /// Hold the output open with digital silence.
    case silence(Duration, output: String?)
    case announce(AnnounceSpec)
    case headphoneMode(HeadphoneModeChange)
    /// Set the output's ALSA mixer control to a level 0–100.
    case volume(output: String?, level: Int)
    case wait(Duration)
    /// Raise an event with string data.
    case emit(name: String, data: [String: String])
    /// Run another routine and wait for it.
    case run(String)
    /// Publish an MQTT message (needs `mqtt` in the config).
    case publish(PublishSpec)

    /// The output an audio action names explicitly, if any.
    public var explicitOutput: String? {
        switch self {
        case .play(let s): return s.output
        case .tone(let s): return s.output
        case .keepAlive(let s): return s.output
        case .silence(_, let o): return o
        case .announce(let s): return s.output
        case .volume(let o, _): return o
        default: return nil
        }
    }
}

/// `{"play": FILE, "gain": dB, "output": NAME}`.
public struct PlaySpec: Sendable, Equatable {
    /// Path relative to the audio folders.
    public var file: String
    /// Gain in dB (default 0, at most +12).
    public var gain: Double
    public var output: String?
    public init(file: String, gain: Double = 0, output: String? = nil) {
        self.file = file
        self.gain = gain
        self.output = output
    }
}

/// Waveforms of the `tone` action.
public enum Waveform: String, Sendable, Equatable, CaseIterable {
    case sine, square, triangle, white, pink, brown
}

/// `{"tone": {...}}`: a synthesized tone or noise.
public struct ToneSpec: Sendable, Equatable {
    /// Hz (ignored for noise waveforms).
    public var frequency: Double
    public var duration: Duration
    /// Peak level in dBFS (≤ 0).
    public var level: Double
    /// Raised-cosine fade in and out.
    public var fade: Duration
    public var waveform: Waveform
    public var output: String?
    public init(
        frequency: Double = 440, duration: Duration = .seconds(1), level: Double = -12,
        fade: Duration = .milliseconds(10), waveform: Waveform = .sine, output: String? = nil
    ) {
        self.frequency = frequency
        self.duration = duration
        self.level = level
        self.fade = fade
        self.waveform = waveform
        self.output = output
    }
}

/// Signals of the `keepAlive` action.
public enum KeepAliveSignal: String, Sendable, Equatable, CaseIterable {
    /// Infrasonic sine (default 20 Hz).
    case sine
    case pink, brown
    /// Alternating ±1 LSB.
    case fluctuate
    /// Digital silence: warned, codecs may drop it.
    case zero
}

/// `{"keepAlive": {...}}`: an inaudible burst that keeps a Bluetooth link awake.
public struct KeepAliveSpec: Sendable, Equatable {
    public var signal: KeepAliveSignal
    public var frequency: Double
    /// dBFS; below −30 unless `audible`.
    public var level: Double
    public var duration: Duration
    public var fade: Duration
    /// Lifts the inaudibility limits (level < −30 dBFS, sine < 200 Hz).
    public var audible: Bool
    public var output: String?
    public init(
        signal: KeepAliveSignal = .sine, frequency: Double = 20, level: Double = -42,
        duration: Duration = .seconds(2), fade: Duration = .milliseconds(50), audible: Bool = false,
        output: String? = nil
    ) {
        self.signal = signal
        self.frequency = frequency
        self.level = level
        self.duration = duration
        self.fade = fade
        self.audible = audible
        self.output = output
    }
}

/// `{"announce": TEXT, ...}`: speech through espeak-ng or a configured engine.
public struct AnnounceSpec: Sendable, Equatable {
    /// Text with placeholders `{time}` `{date}` `{weekday}` `{routine}` `{headphoneMode}` `{event.KEY}`.
    public var text: String
    /// An espeak-ng voice (`en-us`), `ENGINE:VOICE` (`piper:en_US-joe-medium`), an engine's name (its
    /// default voice), or empty: the default engine's default voice (`SpeechVoice`).
    public var voice: String
    /// Words per minute (80–450).
    public var rate: Int
    /// A sound played before the speech: a file, the default chime (`nil`), or none (`.none`).
    public var chime: Chime
    public var output: String?
    public init(text: String, voice: String = "", rate: Int = 175, chime: Chime = .default, output: String? = nil) {
        self.text = text
        self.voice = voice
        self.rate = rate
        self.chime = chime
        self.output = output
    }
}

/// The chime before an announcement.
public enum Chime: Sendable, Equatable {
    /// No chime (`"chime": false`).
    case none
    /// No chime key: no chime (kept distinct so a config default can be added later).
    case `default`
    /// A file from the audio folders.
    case file(String)
}

/// `{"headphoneMode": "on"|"off"|"toggle"}`.
public enum HeadphoneModeChange: String, Sendable, Equatable, CaseIterable {
    case on, off, toggle
}

/// `{"publish": {"topic": ..., "payload": ..., "qos": 0|1, "retain": false}}`: an MQTT message.
public struct PublishSpec: Sendable, Equatable {
    /// The topic (no wildcards); placeholders are rendered.
    public var topic: String
    /// A string is sent as its text (placeholders rendered); any other JSON value as compact JSON
    /// (placeholders rendered in its strings); nil: an empty payload.
    public var payload: JSONValue?
    /// 0 (at most once) or 1 (at least once).
    public var qos: Int
    /// Whether the broker keeps the message for later subscribers.
    public var retain: Bool
    public init(topic: String, payload: JSONValue? = nil, qos: Int = 0, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
