/// MQTT topic names and filters (MQTT 3.1.1 §4.7): levels separated by `/`, `+` matches one level,
/// `#` (last) matches the rest.
public enum MQTTTopic {
    /// Whether `topic` (a name, no wildcards) matches `filter`. `+` and `#` at the first level do not
    /// match topics starting with `$` (broker topics such as `$SYS/…`).
    public static func matches(filter: String, topic: String) -> Bool {
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        if topic.hasPrefix("$"), let first = filterLevels.first, first == "+" || first == "#" { return false }
        var index = 0
        while index < filterLevels.count {
            let level = filterLevels[index]
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+" && level != topicLevels[index] { return false }
            index += 1
        }
        return index == topicLevels.count
    }

    /// Why `filter` is not a valid subscription filter, or nil when it is.
    public static func filterProblem(_ filter: String) -> String? {
        if filter.isEmpty { return "must not be empty" }
        if filter.utf8.count > 65535 { return "is longer than 65535 bytes" }
        if filter.contains("\u{0}") { return "must not contain a NUL character" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || index != levels.count - 1) {
                return "'#' must be a whole level and the last one (e.g. sensors/#)"
            }
            if level.contains("+") && level != "+" {
                return "'+' must be a whole level (e.g. zigbee2mqtt/+/state)"
            }
        }
        return nil
    }

    /// Why `topic` is not a valid topic to publish to, or nil when it is.
    public static func nameProblem(_ topic: String) -> String? {
        if topic.isEmpty { return "must not be empty" }
        if topic.utf8.count > 65535 { return "is longer than 65535 bytes" }
        if topic.contains("\u{0}") { return "must not contain a NUL character" }
        if topic.contains("+") || topic.contains("#") {
            return "a topic to publish to cannot hold the wildcards '+' or '#'"
        }
        return nil
    }
}

/// Matches MQTT payloads against the `payload` of an `mqtt` trigger.
public enum MQTTPayloadMatch {
    /// Whether `payload` satisfies `expected`: the payload's text equals a string; a payload that is
    /// JSON equals a number, boolean, null or array; and a JSON object payload holds every key of an
    /// object (nested objects match the same way, extra keys are ignored).
    public static func matches(_ expected: JSONValue, payload: [UInt8]) -> Bool {
        let parsed = try? JSONParser.parse(payload).value
        if case .string(let text) = expected {
            if String(decoding: payload, as: UTF8.self) == text { return true }
            if case .string(let inner)? = parsed { return inner == text }
            return false
        }
        guard let parsed else { return false }
        return contains(parsed, expected)
    }

    /// Whether `value` matches `expected` (objects: every expected key matches, recursively).
    static func contains(_ value: JSONValue, _ expected: JSONValue) -> Bool {
        switch (value, expected) {
        case (.object(let members), .object(let wanted)):
            for want in wanted {
                guard let have = members.last(where: { $0.key == want.key }),
                    contains(have.value.value, want.value.value)
                else { return false }
            }
            return true
        case (.array(let items), .array(let wanted)):
            return items.count == wanted.count
                && zip(items, wanted).allSatisfy { equal($0.value, $1.value) }
        default:
            return equal(value, expected)
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && contains(a, b)
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0.value, $1.value) }
        default:
            return a == b
        }
    }

    /// The data a run started by an MQTT message sees as `{event.KEY}`: `topic`, `payload` (the text)
    /// and, for a JSON object payload, each top-level key (strings as they are, other values as JSON).
    public static func eventData(topic: String, payload: [UInt8]) -> [String: String] {
        var data: [String: String] = [:]
        if case .object(let members)? = (try? JSONParser.parse(payload))?.value {
            for member in members {
                if case .string(let text) = member.value.value {
                    data[member.key] = text
                } else {
                    data[member.key] = JSONText.value(member.value.value)
                }
            }
        }
        data["topic"] = topic
        data["payload"] = String(decoding: payload, as: UTF8.self)
        return data
    }
}
