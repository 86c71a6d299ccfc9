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
    /// The MQTT broker connection; nil: no MQTT.
    public var mqtt: MQTTConfig?

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
        keepPerRoutine: Int = 200,
        mqtt: MQTTConfig? = nil
    ) {
        self.outputs = outputs
        self.defaultOutput = defaultOutput
        self.headphoneOutput = headphoneOutput
        self.timezone = timezone
        self.clock = clock
        self.location = location
        self.http = http
        self.keepPerRoutine = keepPerRoutine
        self.mqtt = mqtt
    }
}

/// One named output: an ALSA PCM or a PipeWire/PulseAudio sink.
public struct OutputConfig: Sendable, Equatable {
    /// ALSA PCM name (`default`, `bluealsa`, `plughw:1,0`, …); empty for a sink output.
    public var pcm: String
    /// PipeWire/PulseAudio sink name (`bluez_output.AA_BB_CC_DD_EE_FF.1`): audio goes to that sink
    /// through libpulse instead of an ALSA PCM, and other programs playing into it count as activity.
    public var sink: String?
    /// Bluetooth address (upper-case); the output is active only while this device is connected.
    public var bluetooth: String?
    /// Inaudible signal played before announcements so a waking device does not clip the first words.
    public var leadIn: Duration?
    /// ALSA simple mixer element for the `volume` action.
    public var mixer: String?
    public init(
        pcm: String, sink: String? = nil, bluetooth: String? = nil, leadIn: Duration? = nil, mixer: String? = nil
    ) {
        self.pcm = pcm
        self.sink = sink
        self.bluetooth = bluetooth
        self.leadIn = leadIn
        self.mixer = mixer
    }

    /// A sink output (no PCM).
    public static func sink(_ name: String, bluetooth: String? = nil, leadIn: Duration? = nil) -> OutputConfig {
        OutputConfig(pcm: "", sink: name, bluetooth: bluetooth, leadIn: leadIn)
    }

    /// What the output plays into, for messages: `sink 'NAME'` or `ALSA PCM 'NAME'`.
    public var target: String { sink.map { "sink '\($0)'" } ?? "ALSA PCM '\(pcm)'" }
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

/// `"mqtt"`: the broker every room's daemon shares.
public struct MQTTConfig: Sendable, Equatable {
    /// `mqtt://HOST[:PORT]` (default port 1883) or `mqtts://HOST[:PORT]` (TLS, default 8883).
    public var url: String
    /// The broker's host name or address.
    public var host: String
    /// The broker's port.
    public var port: Int
    /// Whether the connection uses TLS (`mqtts://`).
    public var tls: Bool
    /// This daemon's name in topics (`routines/NODE/...`); nil: the host name.
    public var node: String?
    /// The first topic level (default `routines`).
    public var prefix: String
    /// User name for the broker.
    public var username: String?
    /// File holding the password (`~` expanded by the daemon); first line, surrounding white space trimmed.
    public var passwordFile: String?
    /// CA certificate (PEM) that signs the broker's certificate; nil: the system's CAs.
    public var caFile: String?
    /// Whether to publish Home Assistant discovery configs.
    public var discovery: Bool
    /// Home Assistant's discovery prefix (default `homeassistant`).
    public var discoveryPrefix: String
    /// Seconds between MQTT keep-alive pings (default 60).
    public var keepAlive: Int

    public init(
        url: String, host: String, port: Int, tls: Bool, node: String? = nil, prefix: String = "routines",
        username: String? = nil, passwordFile: String? = nil, caFile: String? = nil, discovery: Bool = true,
        discoveryPrefix: String = "homeassistant", keepAlive: Int = 60
    ) {
        self.url = url
        self.host = host
        self.port = port
        self.tls = tls
        self.node = node
        self.prefix = prefix
        self.username = username
        self.passwordFile = passwordFile
        self.caFile = caFile
        self.discovery = discovery
        self.discoveryPrefix = discoveryPrefix
        self.keepAlive = keepAlive
    }

    /// Splits `mqtt://HOST[:PORT]` / `mqtts://HOST[:PORT]`; nil when it is neither. IPv6 hosts go in
    /// brackets (`mqtt://[::1]:1883`).
    public static func parseURL(_ url: String) -> (host: String, port: Int, tls: Bool)? {
        let tls: Bool
        var rest: Substring
        if url.hasPrefix("mqtt://") {
            tls = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("mqtts://") {
            tls = true
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { return nil }
        var host = rest
        var port = tls ? 8883 : 1883
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let value = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return (String(host), port, tls)
    }
}
