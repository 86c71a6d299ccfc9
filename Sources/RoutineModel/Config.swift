/// The daemon's configuration (`config.json`, every key optional; SPEC §4).
public struct Config: Sendable, Equatable {
    /// Output name → its ALSA PCM and Bluetooth details.
    public var outputs: [String: OutputConfig]
    /// Where implicit audio goes while headphone mode is off.
    public var defaultOutput: String
    /// Where implicit audio goes while headphone mode is on; equal to `defaultOutput` when there is
    /// no second output (then headphone mode cannot be switched on).
    public var headphoneOutput: String

    /// Whether headphone mode has an output of its own to switch to.
    public var hasHeadphoneOutput: Bool { headphoneOutput != defaultOutput }
    /// IANA zone for wall-clock triggers without their own; nil: the system's.
    public var timezone: String?
    /// How `{time}` is spoken.
    public var clock: ClockStyle
    /// Needed by `sun` triggers.
    public var location: Location?
    /// Optional TCP listener for the control API.
    public var http: HTTPConfig?
    /// Run history kept per routine.
    public var keepPerRoutine: Int
    /// Speech engines (Wyoming servers) besides the built-in espeak-ng.
    public var speech = SpeechConfig()
    /// Open control API connections allowed per listener (`api.maxConnections`).
    public var maxConnections: Int = 64

    /// The configuration used when there is no `config.json`.
    public static let defaults = Config()

    /// Creates a configuration; defaults as in SPEC §4.
    public init(
        outputs: [String: OutputConfig] = [
            "speakers": OutputConfig(pcm: "default"),
            "headphones": OutputConfig(pcm: "bluealsa"),
        ],
        defaultOutput: String = "speakers",
        headphoneOutput: String = "headphones",
        timezone: String? = nil,
        clock: ClockStyle = .h24,
        location: Location? = nil,
        http: HTTPConfig? = nil,
        keepPerRoutine: Int = 200
    ) {
        self.outputs = outputs
        self.defaultOutput = defaultOutput
        self.headphoneOutput = headphoneOutput
        self.timezone = timezone
        self.clock = clock
        self.location = location
        self.http = http
        self.keepPerRoutine = keepPerRoutine
    }
}

/// One named output.
public struct OutputConfig: Sendable, Equatable {
    /// ALSA PCM name (`default`, `bluealsa`, `plughw:1,0`, …).
    public var pcm: String
    /// Bluetooth address (upper-case); the output is active only while this device is connected.
    public var bluetooth: String?
    /// Inaudible signal played before announcements so a waking device does not clip the first words.
    public var leadIn: Duration?
    /// ALSA simple mixer element for the `volume` action.
    public var mixer: String?
    public init(pcm: String, bluetooth: String? = nil, leadIn: Duration? = nil, mixer: String? = nil) {
        self.pcm = pcm
        self.bluetooth = bluetooth
        self.leadIn = leadIn
        self.mixer = mixer
    }
}

/// 24-hour or 12-hour spoken time.
public enum ClockStyle: String, Sendable, Equatable, CaseIterable {
    case h24 = "24h"
    case h12 = "12h"
}

/// A place on Earth, for sunrise and sunset.
public struct Location: Sendable, Equatable {
    /// Degrees north (−90…90).
    public var latitude: Double
    /// Degrees east (−180…180).
    public var longitude: Double
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// The optional TCP listener.
public struct HTTPConfig: Sendable, Equatable {
    /// `HOST:PORT`.
    public var listen: String
    /// File holding the bearer token (`~` expanded by the daemon).
    public var tokenFile: String
    public init(listen: String, tokenFile: String) {
        self.listen = listen
        self.tokenFile = tokenFile
    }
}
