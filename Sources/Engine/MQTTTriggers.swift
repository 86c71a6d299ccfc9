import RoutineModel

extension Engine {
    /// Every topic filter of the loaded routines' `mqtt` triggers (the daemon subscribes to them).
    public func mqttTopicFilters() -> Set<String> {
        var filters: Set<String> = []
        for routine in routines.values {
            for trigger in routine.triggers {
                if case .mqtt(let topic, _) = trigger.kind { filters.insert(topic) }
            }
        }
        return filters
    }

    /// An MQTT message arrived: every enabled routine with an `mqtt` trigger whose filter matches the
    /// topic and whose `payload` matches fires (conditions checked, once per routine). The run sees
    /// the message as `{event.topic}`, `{event.payload}` and `{event.KEY}` per top-level key of a
    /// JSON object payload. Returns the routines that fired.
    @discardableResult
    public func mqttMessage(topic: String, payload: [UInt8]) -> [String] {
        guard !stopping else { return [] }
        var fired: [String] = []
        var data: [String: String]?
        for name in routines.keys.sorted() {
            guard let routine = routines[name], routine.enabled else { continue }
            for trigger in routine.triggers {
                guard case .mqtt(let filter, let expected) = trigger.kind,
                    MQTTTopic.matches(filter: filter, topic: topic),
                    expected.map({ MQTTPayloadMatch.matches($0, payload: payload) }) ?? true
                else { continue }
                if data == nil { data = MQTTPayloadMatch.eventData(topic: topic, payload: payload) }
                if case .success = fire(name, trigger: "mqtt:\(topic)", eventData: data ?? [:]) { fired.append(name) }
                break
            }
        }
        return fired
    }
}
