/// Home Assistant MQTT discovery configs for one node: one device, a switch for headphone mode, a
/// button per routine, a binary sensor (active) and two timestamp sensors (last audio, next
/// keep-alive) per output. Each config is published retained under
/// `DISCOVERY/COMPONENT/routines_NODE/OBJECT/config`; an empty retained config removes the entity.
struct HomeAssistantDiscovery: Sendable {
    let prefix: String
    let topics: MQTTTopics
    let version: String

    /// `routines_NODE`, the discovery node id and the device identifier.
    var nodeID: String { "routines_" + Self.objectID(topics.node) }

    /// Topic levels Home Assistant accepts as node and object ids: letters, digits, `_`, `-`.
    static func objectID(_ name: String) -> String {
        String(name.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" ? $0 : "_" })
    }

    func topic(_ component: String, _ object: String) -> String {
        "\(prefix)/\(component)/\(nodeID)/\(Self.objectID(object))/config"
    }

    /// The filter matching every config this node may have published (to clear stale ones).
    var ownConfigsFilter: String { "\(prefix)/+/\(nodeID)/+/config" }

    var device: DiscoveryDevice {
        DiscoveryDevice(
            identifiers: [nodeID], name: "routines \(topics.node)", manufacturer: "routines", model: "routines daemon",
            sw_version: version)
    }

    /// Fields every entity of this node shares.
    func entity(_ object: String, name: String) -> DiscoveryConfig {
        DiscoveryConfig(
            name: name, unique_id: "\(nodeID)_\(Self.objectID(object))",
            object_id: "\(nodeID)_\(Self.objectID(object))",
            availability_topic: topics.availability, device: device)
    }

    /// The headphone-mode switch.
    var headphoneSwitch: DiscoveryEntry {
        var config = entity("headphone_mode", name: "Headphone mode")
        config.command_topic = topics.headphoneModeSet
        config.state_topic = topics.headphoneMode
        config.payload_on = "on"
        config.payload_off = "off"
        config.icon = "mdi:headphones"
        return (topic("switch", "headphone_mode"), config)
    }

    /// The button that triggers a routine; its attributes are the routine's state.
    func routineButton(_ routine: String) -> DiscoveryEntry {
        var config = entity("routine_\(routine)", name: "Run \(routine)")
        config.command_topic = topics.routineCommand(routine, "trigger")
        config.payload_press = "{}"
        config.json_attributes_topic = topics.routineState(routine)
        config.icon = "mdi:play-circle-outline"
        return (topic("button", "routine_\(routine)"), config)
    }

    /// An output's entities: active (binary sensor), last audio and next keep-alive (sensors).
    func outputEntities(_ output: String) -> [DiscoveryEntry] {
        let state = topics.outputState(output)
        var active = entity("output_\(output)_active", name: "\(output) active")
        active.state_topic = state
        active.value_template = "{{ 'ON' if value_json.active else 'OFF' }}"
        active.json_attributes_topic = state
        var lastAudio = entity("output_\(output)_last_audio", name: "\(output) last audio")
        lastAudio.state_topic = state
        lastAudio.device_class = "timestamp"
        lastAudio.value_template = "{{ value_json.lastAudio }}"
        var next = entity("output_\(output)_next_keep_alive", name: "\(output) next keep-alive")
        next.state_topic = state
        next.device_class = "timestamp"
        next.value_template = "{{ value_json.nextKeepAlive }}"
        return [
            (topic("binary_sensor", "output_\(output)_active"), active),
            (topic("sensor", "output_\(output)_last_audio"), lastAudio),
            (topic("sensor", "output_\(output)_next_keep_alive"), next),
        ]
    }
}
