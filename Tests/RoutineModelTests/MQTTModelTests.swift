import Testing

@testable import RoutineModel

@Suite struct MQTTModelTests {
    @Test(arguments: [
        ("a/b", "a/b", true), ("a/+", "a/b", true), ("a/+", "a/b/c", false), ("a/#", "a", true),
        ("a/#", "a/b/c", true), ("+/+", "a/b", true), ("+", "a/b", false), ("#", "$SYS/x", false),
        ("+/x", "$SYS/x", false), ("$SYS/#", "$SYS/x", true), ("a/+/c", "a//c", true), ("a/b", "a/b/", false),
    ])
    func topicFilters(filter: String, topic: String, matches: Bool) {
        #expect(MQTTTopic.matches(filter: filter, topic: topic) == matches)
    }

    @Test func filterAndNameProblems() {
        #expect(MQTTTopic.filterProblem("a/+/#") == nil)
        #expect(MQTTTopic.filterProblem("a/#/b") != nil)
        #expect(MQTTTopic.filterProblem("a/b#") != nil)
        #expect(MQTTTopic.filterProblem("a/b+") != nil)
        #expect(MQTTTopic.nameProblem("a/b") == nil)
        #expect(MQTTTopic.nameProblem("a/+") != nil)
        #expect(MQTTTopic.nameProblem("") != nil)
    }

    static func json(_ text: String) -> JSONValue { try! JSONParser.parse(Array(text.utf8)).value }

    @Test(arguments: [
        (#"{"contact": false}"#, #"{"contact": false, "battery": 90}"#, true),
        (#"{"contact": false}"#, #"{"contact": true}"#, false),
        (#"{"contact": false}"#, #"{"battery": 90}"#, false),
        (#"{"a": {"b": 1}}"#, #"{"a": {"b": 1, "c": 2}, "d": 3}"#, true),
        (#"{"a": {"b": 1}}"#, #"{"a": {"b": 2}}"#, false),
        (#"{"n": 1}"#, #"{"n": 1.0}"#, true),
        (#"[1, 2]"#, #"[1, 2]"#, true),
        (#"[1, 2]"#, #"[1, 2, 3]"#, false),
        (#"true"#, #"true"#, true),
        (#"42"#, #"42"#, true),
        (#"42"#, #"43"#, false),
        (#""on""#, #"on"#, true),
        (#""on""#, #""on""#, true),
        (#""on""#, #"ON"#, false),
        (#"{"contact": false}"#, #"not json"#, false),
    ])
    func payloadMatch(expected: String, payload: String, matches: Bool) {
        #expect(MQTTPayloadMatch.matches(Self.json(expected), payload: Array(payload.utf8)) == matches)
    }

    @Test func eventDataHoldsTopicPayloadAndTopLevelKeys() {
        let data = MQTTPayloadMatch.eventData(
            topic: "z/door",
            payload: Array(#"{"contact": false, "name": "front", "topic": "spoof", "o": {"a": 1}}"#.utf8))
        #expect(data["topic"] == "z/door")
        #expect(data["contact"] == "false")
        #expect(data["name"] == "front")
        #expect(data["o"] == #"{"a":1}"#)
        #expect(data["payload"]?.hasPrefix("{") == true)
    }

    @Test(arguments: [
        ("mqtt://broker", "broker", 1883, false), ("mqtts://broker.lan", "broker.lan", 8883, true),
        ("mqtt://10.0.0.2:1884", "10.0.0.2", 1884, false), ("mqtt://[::1]:1883/", "::1", 1883, false),
    ])
    func brokerURLs(url: String, host: String, port: Int, tls: Bool) throws {
        let parts = try #require(MQTTConfig.parseURL(url))
        #expect(parts.host == host && parts.port == port && parts.tls == tls)
    }

    @Test(arguments: [
        "http://broker", "mqtt://", "mqtt://broker:0", "mqtt://broker:x", "mqtt://user@broker", "mqtt://b/path",
    ])
    func badBrokerURLs(url: String) {
        #expect(MQTTConfig.parseURL(url) == nil)
    }

    @Test func configDefaults() throws {
        let result = ConfigDecoder.decode(Array(#"{"mqtt": {"url": "mqtt://broker"}}"#.utf8), file: "c.json")
        let mqtt = try #require(result.value?.mqtt)
        #expect(
            mqtt.prefix == "routines" && mqtt.node == nil && mqtt.discovery && mqtt.discoveryPrefix == "homeassistant")
        #expect(mqtt.keepAlive == 60 && mqtt.port == 1883 && !mqtt.tls)
    }

    @Test func caFileNeedsTLSAndPasswordNeedsUser() {
        let result = ConfigDecoder.decode(
            Array(#"{"mqtt": {"url": "mqtt://broker", "caFile": "/ca.pem", "passwordFile": "/p"}}"#.utf8),
            file: "c.json")
        let text = result.diagnostics.map(\.description).joined(separator: "\n")
        #expect(text.contains("mqtt.caFile: is only used with TLS"))
        #expect(text.contains("'passwordFile' needs 'username'"))
    }
}

@Suite struct MQTTWithoutBrokerTests {
    static let routine = #"""
        {"triggers": [{"mqtt": "a/b"}], "actions": [{"publish": {"topic": "c/d", "payload": "x"}}]}
        """#

    @Test func aConfigWithoutMQTTWarnsAboutTriggerAndAction() throws {
        let result = RoutineDecoder.decode(Array(Self.routine.utf8), file: "r.json", config: Config())
        #expect(result.value != nil, "a warning, not an error")
        let warnings = result.diagnostics.filter { $0.severity == .warning }.map(\.description)
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.contains("no \"mqtt\" broker") })
        var config = Config()
        config.mqtt = MQTTConfig(url: "mqtt://b", host: "b", port: 1883, tls: false)
        #expect(RoutineDecoder.decode(Array(Self.routine.utf8), file: "r.json", config: config).diagnostics.isEmpty)
    }
}
