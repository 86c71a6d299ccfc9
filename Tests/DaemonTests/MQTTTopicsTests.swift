import RoutineModel
import Testing

@testable import Daemon

@Suite struct MQTTTopicsTests {
    let topics = MQTTTopics(prefix: "routines", node: "office")

    @Test func commandsAreParsedForThisNodeAndForAll() {
        #expect(topics.command("routines/office/headphone_mode/set") == .headphoneMode)
        #expect(
            topics.command("routines/office/routine/good-morning/trigger")
                == .routine(name: "good-morning", verb: "trigger"))
        #expect(topics.command("routines/office/routine/a.b/stop") == .routine(name: "a.b", verb: "stop"))
        #expect(topics.command("routines/office/routine/x/enable") == .routine(name: "x", verb: "enable"))
        #expect(topics.command("routines/office/event/doorbell") == .event("doorbell"))
        #expect(topics.command("routines/all/event/doorbell") == .event("doorbell"))
        #expect(topics.command("routines/office/say") == .say)
        #expect(topics.command("routines/all/say") == .say)
        // Not commands: state topics, other nodes, routine commands to all, unknown verbs.
        #expect(topics.command("routines/office/headphone_mode") == nil)
        #expect(topics.command("routines/office/routine/x/state") == nil)
        #expect(topics.command("routines/kitchen/say") == nil)
        #expect(topics.command("routines/all/routine/x/trigger") == nil)
        #expect(topics.command("routines/all/headphone_mode/set") == nil)
        #expect(topics.command("routines/office/routine/x/explode") == nil)
        #expect(topics.command("routines/office/event/") == nil)
    }

    @Test func everyCommandFilterMatchesItsCommands() {
        for topic in [
            "routines/office/headphone_mode/set", "routines/office/routine/x/trigger", "routines/office/routine/x/stop",
            "routines/office/routine/x/enable", "routines/office/routine/x/disable", "routines/office/event/e",
            "routines/all/event/e", "routines/office/say", "routines/all/say",
        ] {
            #expect(topics.commandFilters.contains { MQTTTopic.matches(filter: $0, topic: topic) }, "\(topic)")
        }
    }

    @Test func hostNamesBecomeOneTopicLevel() {
        #expect(MQTTTopics.node(fromHostName: "Office-PC.local") == "office-pc")
        #expect(MQTTTopics.node(fromHostName: "living room") == "living-room")
        #expect(MQTTTopics.node(fromHostName: "") == "routines")
    }

    @Test func aRedeliveredPacketIDIsRecognisedWithinTheWindow() {
        var window = PacketIDWindow()
        let first = window.insert(7)
        let second = window.insert(8)
        let again = window.insert(7)
        #expect(first && second)
        #expect(!again, "the same id again is a redelivery")
        var fresh = true
        for id in 100..<(100 + PacketIDWindow.size) { fresh = window.insert(id) && fresh }
        #expect(fresh)
        let old = window.insert(7)
        #expect(old, "an id 1024 messages old is a new message (ids wrap at 65535)")
    }

    @Test func discoveryIDsAreSafeAndUnique() {
        let discovery = HomeAssistantDiscovery(prefix: "homeassistant", topics: topics, version: "1.0")
        let button = discovery.routineButton("good.morning")
        #expect(button.topic == "homeassistant/button/routines_office/routine_good_morning/config")
        #expect(button.config.command_topic == "routines/office/routine/good.morning/trigger")
        let outputs = discovery.outputEntities("speakers")
        #expect(Set(outputs.map(\.topic)).count == 3)
        #expect(Set(outputs.map(\.config.unique_id)).count == 3)
    }
}
