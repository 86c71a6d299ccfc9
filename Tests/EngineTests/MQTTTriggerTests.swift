import Foundation
import RoutineModel
import Synchronization
import Testing

@testable import Engine

/// Records what `publish` actions send.
final class RecordingPublisher: MessagePublisher {
    struct Message: Equatable {
        var topic: String
        var payload: String
        var qos: Int
        var retain: Bool
    }
    let messages = Mutex<[Message]>([])
    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) async throws {
        messages.withLock {
            $0.append(
                Message(topic: topic, payload: String(decoding: payload, as: UTF8.self), qos: qos, retain: retain))
        }
    }
    var sent: [Message] { messages.withLock { $0 } }
}

@Suite(.timeLimit(.minutes(1))) struct MQTTTriggerTests {
    static func payload(_ text: String) -> JSONValue { try! JSONParser.parse(Array(text.utf8)).value }

    @Test func wildcardTopicAndPayloadMatchStartARunThatSeesTheMessage() async throws {
        let publisher = RecordingPublisher()
        let h = Harness(publisher: publisher)
        let door = Trigger(kind: .mqtt(topic: "zigbee2mqtt/+/door", payload: Self.payload(#"{"contact": false}"#)))
        let publish = PublishSpec(
            topic: "seen/{event.topic}",
            payload: Self.payload(#"{"contact": "{event.contact}", "n": 1, "b": "{event.battery}"}"#),
            qos: 1, retain: true)
        await h.start([routine("door", mode: .parallel, triggers: [door], [.publish(publish)])])
        let engine = h.engine
        #expect(await engine.mqttTopicFilters() == ["zigbee2mqtt/+/door"])
        // Wrong value, extra level, other topic: nothing.
        #expect(
            await engine.mqttMessage(topic: "zigbee2mqtt/hall/door", payload: Array(#"{"contact": true}"#.utf8)).isEmpty
        )
        #expect(
            await engine.mqttMessage(topic: "zigbee2mqtt/hall/x/door", payload: Array(#"{"contact": false}"#.utf8))
                .isEmpty)
        #expect(await engine.mqttMessage(topic: "zigbee2mqtt/hall/door", payload: Array("not json".utf8)).isEmpty)
        // Every given key matches; extra keys do not matter.
        let fired = await engine.mqttMessage(
            topic: "zigbee2mqtt/hall/door", payload: Array(#"{"contact": false, "battery": 97}"#.utf8))
        #expect(fired == ["door"])
        await h.advance(.seconds(1))
        #expect(await h.records("door").map(\.trigger) == ["mqtt:zigbee2mqtt/hall/door"])
        #expect(
            publisher.sent == [
                .init(
                    topic: "seen/zigbee2mqtt/hall/door", payload: #"{"contact":"false","n":1,"b":"97"}"#, qos: 1,
                    retain: true)
            ])
    }

    @Test func stringPayloadsCompareTheText() async throws {
        let h = Harness()
        let exact = Trigger(kind: .mqtt(topic: "doorbell/#", payload: .string("pressed")))
        await h.start([routine("bell", mode: .parallel, triggers: [exact], [.wait(.seconds(1))])])
        #expect(await h.engine.mqttMessage(topic: "doorbell/front", payload: Array("pressed".utf8)) == ["bell"])
        #expect(await h.engine.mqttMessage(topic: "doorbell", payload: Array(#""pressed""#.utf8)) == ["bell"])
        #expect(await h.engine.mqttMessage(topic: "doorbell/front", payload: Array("pressed!".utf8)).isEmpty)
        #expect(await h.engine.mqttMessage(topic: "other/front", payload: Array("pressed".utf8)).isEmpty)
    }

    @Test func disabledRoutinesAndFailingConditionsDoNotFire() async throws {
        let h = Harness()
        let trigger = Trigger(kind: .mqtt(topic: "a/b", payload: nil))
        var off = routine("off", triggers: [trigger], [.wait(.seconds(1))])
        off.enabled = false
        let conditional = routine("cond", triggers: [trigger], conditions: [.headphoneMode(true)], [.wait(.seconds(1))])
        await h.start([off, conditional])
        #expect(await h.engine.mqttMessage(topic: "a/b", payload: []).isEmpty)
        _ = try await h.engine.setHeadphoneMode(.on)
        #expect(await h.engine.mqttMessage(topic: "a/b", payload: []) == ["cond"])
    }

    @Test func publishWithoutMQTTFailsWithAClearError() async throws {
        let h = Harness()
        await h.start([routine("p", [.publish(PublishSpec(topic: "x/y", payload: .string("on")))])])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(1))
        let record = try #require(await h.records("p").first)
        #expect(record.outcome == "failed")
        #expect(record.error?.contains("MQTT is not configured") == true)
    }

    @Test func stateChangesAreReported() async throws {
        let seen = Mutex<[EngineChange]>([])
        let h = Harness(changes: { change in seen.withLock { $0.append(change) } })
        await h.start([routine("r", [.wait(.seconds(1))])])
        seen.withLock { $0 = [] }
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(2))
        _ = try await h.engine.setHeadphoneMode(.on)
        let changes = seen.withLock { $0 }
        #expect(changes.filter { $0 == .routine("r") }.count >= 2)  // started, finished
        #expect(changes.contains(.headphoneMode))
        #expect(await h.engine.status().routines.first?.lastOutcome == .success)
    }
}
