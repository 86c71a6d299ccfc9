import Foundation
import Testing

/// The built daemon on a real Mosquitto broker started by the test (docs/mqtt.md).
@Suite(.serialized, .timeLimit(.minutes(3))) struct MQTTTests {
    /// A daemon on `broker` as `node`; outputs capture into raw files in its folder (ALSA `file` plugin).
    static func daemon(
        _ broker: MosquittoBroker, node: String, routines: [String: String] = [:], mqtt extra: String = ""
    ) throws -> DaemonProcess {
        let daemon = try DaemonProcess(routines: routines)
        let dir = daemon.dir.path
        _ = try daemon.dir.write(
            "asound.conf",
            """
            pcm.cap_speakers { type file slave.pcm "null" file "\(dir)/speakers.raw" format "raw" truncate false }
            pcm.cap_headphones { type file slave.pcm "null" file "\(dir)/headphones.raw" format "raw" truncate false }
            """)
        let config = try daemon.dir.write(
            "config.json",
            """
            {"outputs": {"speakers": {"pcm": "cap_speakers"}, "headphones": {"pcm": "cap_headphones"}}, "timezone": "UTC",
             "mqtt": {"url": "\(broker.url)", "node": "\(node)"\(extra)}}
            """)
        daemon.extraArguments = ["--config", config]
        daemon.environment = ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(dir)/asound.conf"]
        return daemon
    }

    static func waitOnline(_ broker: MosquittoBroker, _ node: String, _ daemon: DaemonProcess) throws {
        do {
            try broker.waitForRetained("routines/\(node)/availability") { $0 == "online" }
        } catch {
            Issue.record("daemon log:\n\(daemon.log)\nbroker log:\n\(broker.log)")
            throw error
        }
    }

    static func state(_ broker: MosquittoBroker, _ topic: String) throws -> [String: Any] {
        try jsonObject(try #require(try broker.retained(topic)[topic]))
    }

    static func history(_ daemon: DaemonProcess, _ routine: String) throws -> [[String: Any]] {
        try jsonArray(try daemon.cli(["history", routine, "--json"]).stdout)
    }

    @Test func commandsEventsTriggersAndTheRetainedStateAfterEach() throws {
        let broker = try MosquittoBroker()
        let daemon = try Self.daemon(
            broker, node: "office",
            routines: [
                "chime.json":
                    #"{"triggers":[{"event":"never"}],"actions":[{"emit":"chimed","data":{"who":"{event.who}"}}]}"#,
                "relay.json":
                    #"{"mode":"parallel","triggers":[{"event":"chimed"},{"event":"doorbell"}],"actions":[{"publish":{"topic":"test/relay","payload":"{event.who}","qos":1}}]}"#,
                "slow.json": #"{"triggers":[{"event":"never"}],"actions":[{"wait":"60s"}]}"#,
                "door.json":
                    #"{"mode":"parallel","triggers":[{"mqtt":"zigbee2mqtt/+/door","payload":{"contact":false}}],"actions":[{"publish":{"topic":"test/door/{event.topic}","payload":{"contact":"{event.contact}","battery":"{event.battery}"},"retain":true}}]}"#,
            ])
        let sub = try broker.subscribe(["test/#"])
        try daemon.start()
        try Self.waitOnline(broker, "office", daemon)

        // Headphone mode: the retained state follows each command, and the CLI agrees.
        try broker.waitForRetained("routines/office/headphone_mode") { $0 == "off" }
        try broker.publish("routines/office/headphone_mode/set", "on")
        try broker.waitForRetained("routines/office/headphone_mode") { $0 == "on" }
        #expect(try daemon.cli(["headphones", "status"]).stdout.contains("on"))
        try broker.publish("routines/office/headphone_mode/set", "toggle")
        try broker.waitForRetained("routines/office/headphone_mode") { $0 == "off" }
        try broker.publish("routines/office/headphone_mode/set", "loud")
        try waitUntil("the bad payload is reported") {
            daemon.log.contains("the payload must be on, off or toggle, got 'loud'")
        }

        // Trigger with variables: the run sees them; the routine's retained state shows the run.
        let before = try Self.state(broker, "routines/office/routine/chime/state")
        #expect(before["enabled"] as? Bool == true && before["running"] as? Bool == false)
        try broker.publish("routines/office/routine/chime/trigger", #"{"who":"mqtt"}"#)
        try waitUntil("the relay publishes the variable") { broker.lines(sub).contains("test/relay mqtt") }
        let after = try broker.waitForRetained("routines/office/routine/chime/state") {
            $0?.contains(#""outcome":"success""#) == true
        }
        let afterState = try jsonObject(try #require(after))
        #expect(afterState["lastRun"] is String)
        let chimeRuns = try Self.history(daemon, "chime")
        #expect(chimeRuns.count == 1)
        #expect(chimeRuns.first?["trigger"] as? String == "mqtt", "the run says it came over MQTT")

        // Stop: the running run ends cancelled, and the state says it is no longer running.
        try broker.publish("routines/office/routine/slow/trigger", "")
        try broker.waitForRetained("routines/office/routine/slow/state") { $0?.contains(#""running":true"#) == true }
        try broker.publish("routines/office/routine/slow/stop", "")
        try broker.waitForRetained("routines/office/routine/slow/state") {
            $0?.contains(#""running":false"#) == true && $0?.contains(#""outcome":"cancelled""#) == true
        }
        #expect(try Self.history(daemon, "slow").first?["outcome"] as? String == "cancelled")

        // Enable with false disables (kept in the state database), enable again enables.
        try broker.publish("routines/office/routine/slow/enable", "false")
        try broker.waitForRetained("routines/office/routine/slow/state") { $0?.contains(#""enabled":false"#) == true }
        #expect(try daemon.cli(["list", "--json"]).stdout.contains("slow"))
        try broker.publish("routines/office/routine/slow/disable", "")
        try broker.publish("routines/office/routine/slow/enable", "")
        try broker.waitForRetained("routines/office/routine/slow/state") { $0?.contains(#""enabled":true"#) == true }
        try broker.publish("routines/office/routine/nothing/stop", "")
        try waitUntil("an unknown routine is reported") { daemon.log.contains("no routine named nothing") }

        // Events on this node and on all nodes.
        try broker.publish("routines/office/event/doorbell", #"{"who":"alice"}"#)
        try broker.publish("routines/all/event/doorbell", #"{"who":"bob"}"#)
        try waitUntil("both events ran the relay") {
            broker.lines(sub).contains("test/relay alice") && broker.lines(sub).contains("test/relay bob")
        }
        try broker.publish("routines/kitchen/event/doorbell", #"{"who":"carol"}"#)  // another node's

        // mqtt trigger: wildcard and payload match; the publish action sends what the message held.
        try broker.publish("zigbee2mqtt/hall/door", #"{"contact": true, "battery": 90}"#)
        try broker.publish("zigbee2mqtt/hall/window", #"{"contact": false}"#)
        try broker.publish("zigbee2mqtt/hall/door", #"{"contact": false, "battery": 91}"#)
        try waitUntil("the door routine published") {
            broker.lines(sub).contains(#"test/door/zigbee2mqtt/hall/door {"contact":"false","battery":"91"}"#)
        }
        #expect(try broker.retained("test/door/#").count == 1, "retain: true was honoured")
        let doorRuns = try Self.history(daemon, "door")
        #expect(doorRuns.count == 1, "only the matching message ran it")
        #expect((doorRuns.first?["trigger"] as? String)?.contains("zigbee2mqtt/hall/door") == true)
        #expect(!broker.lines(sub).contains("test/relay carol"))
    }

    @Test func homeAssistantDiscoveryConfigsHaveTheRequiredFieldsAndWork() throws {
        let broker = try MosquittoBroker()
        let daemon = try Self.daemon(
            broker, node: "den",
            routines: [
                "good.night.json": #"{"triggers":[{"event":"never"}],"actions":[{"emit":"slept"}]}"#,
                "wake.json": #"{"triggers":[{"event":"never"}],"actions":[{"emit":"woke"}]}"#,
            ])
        try daemon.start()
        try Self.waitOnline(broker, "den", daemon)
        var configs: [String: String] = [:]
        try waitUntil("all discovery configs are retained") {
            configs = try broker.retained("homeassistant/#")
            return configs.count == 1 + 2 + 2 * 3
        }
        // The fields Home Assistant's MQTT discovery schemas require (homeassistant/components/mqtt/
        // {switch,button,binary_sensor,sensor}.py: command_topic for switch and button, state_topic for
        // the sensors; a device needs identifiers or connections; an entity with a device a unique_id).
        let required = [
            "switch": ["command_topic", "state_topic"], "button": ["command_topic"],
            "binary_sensor": ["state_topic"], "sensor": ["state_topic"],
        ]
        var uniqueIDs: Set<String> = []
        var components: [String: Int] = [:]
        for (topic, payload) in configs {
            let levels = topic.split(separator: "/").map(String.init)
            #expect(levels.count == 5 && levels[0] == "homeassistant" && levels[4] == "config", "\(topic)")
            let idPattern = /^[a-zA-Z0-9_-]+$/
            #expect(
                levels[2].wholeMatch(of: idPattern) != nil && levels[3].wholeMatch(of: idPattern) != nil, "\(topic)")
            let component = levels[1]
            components[component, default: 0] += 1
            let config = try jsonObject(payload)
            for field in (required[component] ?? ["unknown component"]) + ["unique_id", "name", "availability_topic"] {
                #expect(config[field] is String, "\(topic) lacks \(field)")
            }
            for key in ["command_topic", "state_topic"] {
                if let value = config[key] as? String { #expect(!value.contains("+") && !value.contains("#")) }
            }
            #expect(config["availability_topic"] as? String == "routines/den/availability")
            let device = try #require(config["device"] as? [String: Any])
            #expect((device["identifiers"] as? [String]) == ["routines_den"], "one device per node")
            if let id = config["unique_id"] as? String {
                #expect(uniqueIDs.insert(id).inserted, "unique_id \(id) repeats")
            }
        }
        #expect(components == ["switch": 1, "button": 2, "binary_sensor": 2, "sensor": 4])

        // The switch's and a button's topics do what Home Assistant will do with them.
        let switchConfig = try jsonObject(
            try #require(configs["homeassistant/switch/routines_den/headphone_mode/config"]))
        try broker.publish(switchConfig["command_topic"] as! String, switchConfig["payload_on"] as! String)
        try broker.waitForRetained(switchConfig["state_topic"] as! String) {
            $0 == switchConfig["payload_on"] as? String
        }
        let buttonTopic = "homeassistant/button/routines_den/routine_good_night/config"
        let button = try jsonObject(try #require(configs[buttonTopic]))
        try broker.publish(button["command_topic"] as! String, button["payload_press"] as! String)
        try waitUntil("the button ran good.night") { try Self.history(daemon, "good.night").count == 1 }
        // The binary sensor's template reads the output state topic.
        let sensor = try jsonObject(
            try #require(configs["homeassistant/binary_sensor/routines_den/output_speakers_active/config"]))
        let outputState = try Self.state(broker, sensor["state_topic"] as! String)
        #expect(outputState["active"] as? Bool == true)

        // A routine file removed: its button goes (empty retained config) and so does its state.
        try FileManager.default.removeItem(atPath: daemon.routines + "/wake.json")
        try broker.waitForRetained("homeassistant/button/routines_den/routine_wake/config") { $0 == nil }
        try broker.waitForRetained("routines/den/routine/wake/state") { $0 == nil }
        #expect(try broker.retained(buttonTopic)[buttonTopic] != nil, "the other button stays")
    }

    @Test func killedDaemonIsOfflineAndABrokerRestartIsSurvived() throws {
        let broker = try MosquittoBroker()
        let daemon = try Self.daemon(
            broker, node: "hall",
            routines: ["ping.json": #"{"triggers":[{"event":"never"}],"actions":[{"emit":"pong"}]}"#])
        try daemon.start()
        try Self.waitOnline(broker, "hall", daemon)
        try broker.publish("routines/hall/headphone_mode/set", "on")
        try broker.waitForRetained("routines/hall/headphone_mode") { $0 == "on" }

        // The broker dies and comes back empty (no persistence): the daemon reconnects by itself,
        // publishes its retained state again and takes commands again.
        broker.kill()
        try waitUntil("the daemon noticed") { daemon.log.contains("trying again in") }
        try broker.start()
        try Self.waitOnline(broker, "hall", daemon)
        try broker.waitForRetained("routines/hall/headphone_mode") { $0 == "on" }
        try broker.waitForRetained("homeassistant/switch/routines_hall/headphone_mode/config") { $0 != nil }
        try broker.publish("routines/hall/routine/ping/trigger", "")
        try waitUntil("the trigger after the restart ran") { try Self.history(daemon, "ping").count == 1 }
        #expect(try daemon.cli(["status"]).status == 0)

        // kill -9: the broker publishes the will.
        daemon.stop(kill: true)
        try broker.waitForRetained("routines/hall/availability") { $0 == "offline" }

        // A graceful stop says offline itself (a clean disconnect sends no will).
        try daemon.start()
        try Self.waitOnline(broker, "hall", daemon)
        daemon.stop()
        try broker.waitForRetained("routines/hall/availability") { $0 == "offline" }
    }

    /// A command whose acknowledgement never reached the broker is delivered again (same packet id,
    /// DUP flag) when the session resumes: it runs once. The daemon is stopped (SIGSTOP) while the
    /// broker sends the command, the broker shuts down saving the unacknowledged message with the
    /// session, and comes back; the daemon, resumed, reads the first delivery from its socket,
    /// reconnects, and gets the redelivery.
    @Test func aRedeliveredCommandRunsOnce() throws {
        let broker = try MosquittoBroker(persistent: true)
        let daemon = try Self.daemon(
            broker, node: "loft",
            routines: ["once.json": #"{"mode":"parallel","triggers":[{"event":"never"}],"actions":[{"wait":"10ms"}]}"#])
        try daemon.start()
        try Self.waitOnline(broker, "loft", daemon)
        let pid = try #require(daemon.process?.processIdentifier)
        kill(pid, SIGSTOP)
        try broker.publish("routines/loft/routine/once/trigger", "")
        try waitUntil("the broker sent the command to the stopped daemon") {
            broker.log.contains("Sending PUBLISH to routines-loft (d0, q1, r0, m")
        }
        broker.terminate()
        try broker.start()
        kill(pid, SIGCONT)
        try waitUntil("the broker delivered the command again", timeout: 20) {
            broker.log.contains("Sending PUBLISH to routines-loft (d1, q1")
        }
        try waitUntil("the daemon recognised the redelivery") { daemon.log.contains("redelivered message") }
        try waitUntil("the first delivery ran") { try Self.history(daemon, "once").count >= 1 }
        #expect(try Self.history(daemon, "once").count == 1, "\(daemon.log)")
    }

    @Test func wrongPasswordIsAClearErrorRetriedAndTheRestOfTheDaemonWorks() throws {
        let broker = try MosquittoBroker(.password(user: "office", password: "right-password"))
        let wrong = try Self.daemon(
            broker, node: "office", mqtt: #", "username": "office", "passwordFile": "PASSWORD""#)
        let passwordFile = try wrong.dir.write("password", "wrong-password\n")
        try rewriteConfig(wrong, "PASSWORD", passwordFile)
        try wrong.start()
        try waitUntil("the refusal was said twice (retried)", timeout: 15) {
            wrong.log.components(separatedBy: "refused the connection").count >= 3
        }
        #expect(
            wrong.log.contains("check mqtt.username ('office') and the password in mqtt.passwordFile"), "\(wrong.log)")
        #expect(try wrong.cli(["status"]).status == 0, "the daemon runs on")
        #expect(try wrong.cli(["trigger", "nothing"]).stderr.contains("nothing"))

        let right = try Self.daemon(
            broker, node: "office", mqtt: #", "username": "office", "passwordFile": "PASSWORD""#)
        try rewriteConfig(right, "PASSWORD", try right.dir.write("password", "right-password\n"))
        try right.start()
        try Self.waitOnline(broker, "office", right)
    }

    @Test func badTLSIsAClearErrorRetriedAndGoodTLSConnects() throws {
        let broker = try MosquittoBroker(.tls)
        let good = try Self.daemon(broker, node: "attic", mqtt: #", "caFile": "\#(broker.caFile!)""#)
        try good.start()
        try Self.waitOnline(broker, "attic", good)

        let bad = try Self.daemon(broker, node: "cellar", mqtt: #", "caFile": "\#(broker.otherCAFile!)""#)
        try bad.start()
        try waitUntil("the TLS failure was said twice (retried)", timeout: 15) {
            bad.log.components(separatedBy: "TLS failed").count >= 3
                || bad.log.components(separatedBy: "certificate verify failed").count >= 3
        }
        #expect(bad.log.contains("mqtt.caFile"), "\(bad.log)")
        #expect(try bad.cli(["status"]).status == 0, "the daemon runs on")
        #expect(try broker.retained("routines/cellar/#").isEmpty)
    }

    /// Three rooms, one announcement to all: each output's capture holds it.
    @Test func announcementToAllReachesEveryRoom() throws {
        let broker = try MosquittoBroker()
        let rooms = ["kitchen", "study", "bedroom"]
        let daemons = try rooms.map { try Self.daemon(broker, node: $0) }
        for (room, daemon) in zip(rooms, daemons) {
            try daemon.start()
            try Self.waitOnline(broker, room, daemon)
        }
        try broker.publish("routines/all/say", #"{"text": "Dinner is ready."}"#)
        for daemon in daemons {
            // More than 0.5 s of stereo, and complete: the capture stopped growing.
            var last = -1
            try waitUntil("the announcement is captured", timeout: 20) {
                let count = AudioEndToEndTests.captured(daemon, "speakers").count
                defer { last = count }
                usleep(200_000)
                return count > 48_000 && count == last
            }
            let samples = AudioEndToEndTests.captured(daemon, "speakers")
            let left = stride(from: 0, to: samples.count, by: 2).map { Double(samples[$0]) }
            let rms = sqrt(left.reduce(0) { $0 + $1 * $1 } / Double(max(1, left.count)))
            #expect(rms > 300, "speech in the capture (RMS \(rms))")
            #expect(AudioEndToEndTests.captured(daemon, "headphones").isEmpty)
        }
        // A plain-text payload to one room only.
        let kitchenBefore = AudioEndToEndTests.captured(daemons[0], "speakers").count
        let studyBefore = AudioEndToEndTests.captured(daemons[1], "speakers").count
        try broker.publish("routines/study/say", "Study only.")
        try waitUntil("the study spoke again", timeout: 20) {
            AudioEndToEndTests.captured(daemons[1], "speakers").count > studyBefore + 24_000
        }
        #expect(AudioEndToEndTests.captured(daemons[0], "speakers").count == kitchenBefore)
    }

    func rewriteConfig(_ daemon: DaemonProcess, _ placeholder: String, _ value: String) throws {
        let path = daemon.dir.path + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: placeholder, with: value)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
