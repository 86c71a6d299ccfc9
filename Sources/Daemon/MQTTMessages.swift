import ControlAPI

/// `PREFIX/NODE/routine/NAME/state` (retained): a routine's state for MQTT clients and Home
/// Assistant (docs/mqtt.md); absent times are `null`.
struct RoutineStateMessage: Encodable, Equatable {
    var enabled: Bool
    var running: Bool
    var runs: Int
    var queued: Int
    @Nullable var lastRun: String?
    @Nullable var outcome: String?
    @Nullable var nextFire: String?
}

/// `PREFIX/NODE/output/NAME/state` (retained): an output's activity and keep-alive clock.
struct OutputStateMessage: Encodable, Equatable {
    var active: Bool
    @Nullable var lastAudio: String?
    @Nullable var nextKeepAlive: String?
    var burstsLastHour: Int
}

/// The device every entity of a node belongs to, in Home Assistant's discovery format.
struct DiscoveryDevice: Encodable, Equatable {
    var identifiers: [String]
    var name: String
    var manufacturer: String
    var model: String
    var sw_version: String
}

/// One Home Assistant discovery config (the fields of the MQTT switch, button, binary sensor and
/// sensor integrations the daemon uses; absent ones are left out).
struct DiscoveryConfig: Encodable, Equatable {
    var name: String
    var unique_id: String
    var object_id: String
    var availability_topic: String
    var payload_available = "online"
    var payload_not_available = "offline"
    var device: DiscoveryDevice
    var qos = 1
    var command_topic: String?
    var state_topic: String?
    var payload_on: String?
    var payload_off: String?
    var payload_press: String?
    var json_attributes_topic: String?
    var value_template: String?
    var device_class: String?
    var icon: String?
}

/// A config and the topic it is published on.
typealias DiscoveryEntry = (topic: String, config: DiscoveryConfig)
