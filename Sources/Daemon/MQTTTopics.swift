import RoutineModel

/// The daemon's topics under `PREFIX/NODE/…` and `PREFIX/all/…` (docs/mqtt.md).
struct MQTTTopics: Sendable {
    let prefix: String
    let node: String

    var base: String { "\(prefix)/\(node)" }
    var all: String { "\(prefix)/all" }
    var availability: String { "\(base)/availability" }
    var headphoneMode: String { "\(base)/headphone_mode" }
    var headphoneModeSet: String { "\(base)/headphone_mode/set" }
    func routineState(_ name: String) -> String { "\(base)/routine/\(name)/state" }
    func routineCommand(_ name: String, _ verb: String) -> String { "\(base)/routine/\(name)/\(verb)" }
    func outputState(_ name: String) -> String { "\(base)/output/\(name)/state" }

    /// The routine commands (`routines/N/routine/NAME/VERB`).
    static let routineVerbs = ["trigger", "stop", "enable", "disable"]

    /// What the daemon subscribes to for commands (QoS 1).
    var commandFilters: [String] {
        [headphoneModeSet]
            + Self.routineVerbs.map { "\(base)/routine/+/\($0)" }
            + ["\(base)/event/+", "\(all)/event/+", "\(base)/say", "\(all)/say"]
    }

    /// A command topic, parsed.
    enum Command: Equatable {
        case headphoneMode
        case routine(name: String, verb: String)
        case event(String)
        case say
    }

    /// The command a topic addresses to this node (or to all), nil for other topics.
    func command(_ topic: String) -> Command? {
        let rest: Substring
        if topic.hasPrefix(base + "/") {
            rest = topic.dropFirst(base.count + 1)
        } else if topic.hasPrefix(all + "/") {
            rest = topic.dropFirst(all.count + 1)
            // Only events and announcements are addressed to every node.
            guard rest == "say" || rest.hasPrefix("event/") else { return nil }
        } else {
            return nil
        }
        let levels = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch levels.count {
        case 1 where levels[0] == "say": return .say
        case 2 where levels == ["headphone_mode", "set"]: return .headphoneMode
        case 2 where levels[0] == "event" && !levels[1].isEmpty: return .event(levels[1])
        case 3 where levels[0] == "routine" && Self.routineVerbs.contains(levels[2]) && !levels[1].isEmpty:
            return .routine(name: levels[1], verb: levels[2])
        default: return nil
        }
    }

    /// The default node name: the host name, lower-cased, with anything but letters, digits, `_`
    /// and `-` turned into `-` (a topic level; `.` would make Home Assistant ids awkward).
    static func node(fromHostName name: String) -> String {
        let cleaned = String(
            name.lowercased().split(separator: ".").first.map(String.init)?.map {
                ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" ? $0 : "-"
            } ?? [])
        return cleaned.isEmpty ? "routines" : cleaned
    }
}
