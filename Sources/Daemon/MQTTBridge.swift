import ControlAPI
import Engine
import FoundationEssentials
import Logging
import MQTT
import RoutineModel
import Schedule
import ServiceLifecycle

/// Mirrors the daemon on an MQTT broker (docs/mqtt.md): commands on `PREFIX/NODE/…` and
/// `PREFIX/all/…` become the control API's operations (the same ones the routes of the CLI and HTTP
/// call, with the same checks), the
/// engine's state is published retained, Home Assistant discovery configs describe it, and messages
/// on the topics of `mqtt` triggers reach the engine.
actor MQTTBridge {
    let client: MQTTClient
    let api: any ControlOperations
    let engine: Engine
    let store: any StateStore
    let topics: MQTTTopics
    let discovery: HomeAssistantDiscovery?
    let zone: ZoneRules
    let logger: Logger

    /// Payloads of the retained topics as last published in this connection (a change publishes
    /// only what differs; a new connection publishes everything again).
    var retained: [String: [UInt8]] = [:]
    /// Routines and outputs whose state topics hold something.
    var knownRoutines: Set<String> = []
    /// Filters of the `mqtt` triggers subscribed to.
    var triggerFilters: Set<String> = []
    /// QoS 1 messages seen in this session, to recognise a redelivery.
    var seenPackets = PacketIDWindow()
    /// Runs of earlier daemon lives, for `lastRun` until a routine runs in this one.
    var persistedRuns: [String: RunRecord] = [:]
    var connected = false

    init(
        client: MQTTClient, api: any ControlOperations, engine: Engine, store: any StateStore, topics: MQTTTopics,
        discovery: HomeAssistantDiscovery?, zone: ZoneRules, logger: Logger
    ) {
        self.client = client
        self.api = api
        self.engine = engine
        self.store = store
        self.topics = topics
        self.discovery = discovery
        self.zone = zone
        self.logger = logger
    }

    /// The will: `offline`, retained, so a killed daemon shows offline.
    static func will(_ topics: MQTTTopics) -> MQTTOutgoing {
        MQTTOutgoing(topic: topics.availability, payload: Array("offline".utf8), qos: 1, retain: true)
    }

    // MARK: Connection

    func connectionEvent(_ event: MQTTClientEvent) async -> (@Sendable () async -> Void)? {
        switch event {
        case .connected(let sessionPresent):
            logger.info("MQTT: connected to \(client.options.label) as node '\(topics.node)'")
            retained = [:]
            publish(topics.availability, "online")
            connected = true
            if !sessionPresent { seenPackets = PacketIDWindow() }
            await connectedAgain()
            return nil
        case .disconnected(let reason, let retryIn):
            if connected || client.lastProblem != lastLoggedProblem {
                logger.error("\(reason); trying again in \(DurationText.format(retryIn))")
            } else {
                logger.notice("\(reason); trying again in \(DurationText.format(retryIn))")
            }
            lastLoggedProblem = client.lastProblem
            connected = false
            return nil
        case .message(let message):
            return await received(message)
        }
    }

    var lastLoggedProblem: String?

    /// Subscribes and publishes every retained topic afresh.
    func connectedAgain() async {
        client.subscribe(topics.commandFilters)
        triggerFilters = await engine.mqttTopicFilters()
        client.subscribe(triggerFilters.sorted())
        if persistedRuns.isEmpty { persistedRuns = (try? await store.lastRuns()) ?? [:] }
        await publishAll()
        if let discovery { client.subscribe([discovery.ownConfigsFilter]) }
    }

    func publishAll() async {
        let status = await engine.status()
        publishHeadphoneMode(status)
        let names = Set(status.routines.map(\.name))
        for gone in knownRoutines.subtracting(names) { clearRoutine(gone) }
        for routine in status.routines { publishRoutine(routine) }
        for output in status.outputs { publishOutput(output) }
        if let discovery {
            let (topic, config) = discovery.headphoneSwitch
            publishJSON(topic, config)
            for routine in status.routines { publishJSON(discovery.routineButton(routine.name)) }
            for output in status.outputs {
                for (topic, config) in discovery.outputEntities(output.name) { publishJSON(topic, config) }
            }
        }
    }

    // MARK: State

    /// The engine says something changed: publish what differs.
    func changed(_ change: EngineChange) async {
        guard connected else { return }
        let status = await engine.status()
        switch change {
        case .headphoneMode:
            publishHeadphoneMode(status)
        case .output(let name):
            if let output = status.outputs.first(where: { $0.name == name }) { publishOutput(output) }
        case .routine(let name):
            if let routine = status.routines.first(where: { $0.name == name }) {
                let isNew = !knownRoutines.contains(name)
                publishRoutine(routine)
                if isNew, let discovery { publishJSON(discovery.routineButton(name)) }
            } else if knownRoutines.contains(name) {
                clearRoutine(name)
            }
            await updateTriggerFilters()
        }
    }

    func updateTriggerFilters() async {
        let filters = await engine.mqttTopicFilters()
        guard filters != triggerFilters else { return }
        client.unsubscribe(triggerFilters.subtracting(filters).filter { !topics.commandFilters.contains($0) }.sorted())
        client.subscribe(filters.subtracting(triggerFilters).sorted())
        triggerFilters = filters
    }

    func publishHeadphoneMode(_ status: EngineStatus) {
        publish(topics.headphoneMode, status.headphoneMode ? "on" : "off")
    }

    func publishRoutine(_ routine: RoutineStatus) {
        knownRoutines.insert(routine.name)
        let persisted = persistedRuns[routine.name]
        let lastRun = routine.lastRun ?? persisted?.startedAt
        let outcome = routine.lastOutcome?.rawValue ?? (routine.lastRun == nil ? persisted?.outcome : nil)
        publishJSON(
            topics.routineState(routine.name),
            RoutineStateMessage(
                enabled: routine.enabled, running: routine.running > 0, runs: routine.running, queued: routine.queued,
                lastRun: lastRun.map { zone.iso8601($0) }, outcome: outcome,
                nextFire: routine.nextFire.map { zone.iso8601($0) }))
    }

    /// A routine file removed: its state and its button go (empty retained messages).
    func clearRoutine(_ name: String) {
        knownRoutines.remove(name)
        publish(topics.routineState(name), "")
        if let discovery { publish(discovery.routineButton(name).topic, "") }
    }

    func publishOutput(_ output: OutputStatus) {
        publishJSON(
            topics.outputState(output.name),
            OutputStateMessage(
                active: output.active, lastAudio: output.lastAudio.map { zone.iso8601($0) },
                nextKeepAlive: output.nextIdleFire.map { zone.iso8601($0) }, burstsLastHour: output.burstsLastHour))
    }

    func publishJSON(_ entry: DiscoveryEntry) { publishJSON(entry.topic, entry.config) }

    /// A state or config message, written by the API's one JSON writer.
    func publishJSON(_ topic: String, _ value: some Encodable) {
        publish(topic, String(decoding: JSONText.encode(value), as: UTF8.self))
    }

    /// Publishes a retained message (QoS 1) unless the broker already holds this payload from us.
    func publish(_ topic: String, _ text: String) {
        let payload = Array(text.utf8)
        guard retained[topic] != payload else { return }
        do {
            try client.publish(MQTTOutgoing(topic: topic, payload: payload, qos: 1, retain: true))
            retained[topic] = payload
        } catch {
            // Not connected: everything is published again on the next connect.
        }
    }

    // MARK: Commands

    /// Handles one message; an announcement comes back as work to run beside the loop (it lasts as
    /// long as the speech plays).
    func received(_ message: MQTTMessage) async -> (@Sendable () async -> Void)? {
        if message.qos > 0 && message.packetID != 0 && !seenPackets.insert(message.packetID) {
            logger.notice(
                "MQTT: \(message.topic): redelivered message (packet \(message.packetID)) ignored; it was handled already"
            )
            return nil
        }
        if let discovery, message.retain, !message.payload.isEmpty,
            MQTTTopic.matches(filter: discovery.ownConfigsFilter, topic: message.topic)
        {
            // A config from an earlier life (a routine removed while the daemon was down).
            if retained[message.topic] == nil {
                logger.info("MQTT: removing the stale Home Assistant config \(message.topic)")
                publish(message.topic, "")
            }
            return nil
        }
        var work: (@Sendable () async -> Void)?
        if let command = topics.command(message.topic) {
            if message.retain {
                logger.warning(
                    "MQTT: \(message.topic): a retained command is ignored (it would run again on every reconnect); publish commands without retain"
                )
            } else {
                work = await handle(command, message)
            }
        }
        if !message.retain, triggerFilters.contains(where: { MQTTTopic.matches(filter: $0, topic: message.topic) }) {
            await engine.mqttMessage(topic: message.topic, payload: message.payload)
        }
        return work
    }

    func handle(_ command: MQTTTopics.Command, _ message: MQTTMessage) async -> (@Sendable () async -> Void)? {
        let text = String(decoding: message.payload, as: UTF8.self).trimmingWhiteSpace()
        let api = self.api
        let operation: @Sendable () async throws(APIError) -> Void
        switch command {
        case .headphoneMode:
            guard let change = HeadphoneModeChange(rawValue: text.lowercased()) else {
                logger.error("MQTT: \(message.topic): the payload must be on, off or toggle, got '\(text)'")
                return nil
            }
            operation = { () async throws(APIError) in _ = try await api.setHeadphones(HeadphonesRequest(mode: change))
            }
        case .routine(let name, "trigger"):
            var data = EventData()
            if !text.isEmpty {
                guard case .object? = (try? JSONParser.parse(message.payload))?.value else {
                    logger.error(
                        "MQTT: \(message.topic): the payload must be empty or a JSON object of variables, e.g. {\"room\": \"kitchen\"}"
                    )
                    return nil
                }
                do throws(APIError) {
                    data = try EventData.decode(message.payload, what: "data")
                } catch {
                    Self.logFailure(message.topic, error, logger)
                    return nil
                }
            }
            let request = TriggerRequest(data: data.values)
            operation = { () async throws(APIError) in _ = try await api.trigger(name, request, source: "mqtt") }
        case .routine(let name, "stop"):
            operation = { () async throws(APIError) in _ = try await api.stop(name) }
        case .routine(let name, let verb):
            var enable = verb == "enable"
            if verb == "enable" {
                // `enable` with a payload of false/off disables (a Home Assistant switch's two payloads).
                switch text.lowercased() {
                case "", "true", "on", "1": enable = true
                case "false", "off", "0": enable = false
                default:
                    logger.error(
                        "MQTT: \(message.topic): the payload must be empty, true/on or false/off, got '\(text)'")
                    return nil
                }
            }
            operation = { [enable] () async throws(APIError) in _ = try await api.setEnabled(name, enable) }
        case .event(let name):
            let data: EventData
            do throws(APIError) {
                data = try EventData.decode(text.isEmpty ? [] : message.payload, what: "event data")
            } catch {
                Self.logFailure(message.topic, error, logger)
                return nil
            }
            operation = { () async throws(APIError) in _ = try await api.raise(name, data: data, source: "mqtt") }
        case .say:
            let request: SayRequest
            do throws(APIError) {
                if text.hasPrefix("{") {
                    request = try SayRequest.decode(message.payload)
                } else if text.isEmpty {
                    throw APIError.badRequest(SayRequest.shape)
                } else {
                    request = SayRequest(text: text)
                }
            } catch {
                Self.logFailure(message.topic, error, logger)
                return nil
            }
            let logger = self.logger
            let topic = message.topic
            // Returned as work beside the loop: it lasts as long as the speech plays.
            return {
                do throws(APIError) {
                    _ = try await api.say(request)
                } catch {
                    Self.logFailure(topic, error, logger)
                }
            }
        }
        do throws(APIError) {
            try await operation()
        } catch {
            Self.logFailure(message.topic, error, logger)
        }
        return nil
    }

    /// A refused command: a 409's refusal (run mode, disabled) is a notice, anything else an error.
    static func logFailure(_ topic: String, _ error: APIError, _ logger: Logger) {
        if case .conflict = error {
            logger.notice("MQTT: \(topic): \(error.message)")
        } else {
            logger.error("MQTT: \(topic): \(error.message)")
        }
    }
}

/// Packet ids of the QoS 1 messages received in one session. The broker redelivers a message whose
/// acknowledgement it did not get (a connection lost at the wrong moment) with the same packet id and
/// the DUP flag, which libmosquitto does not pass on: the id is what recognises it. The broker hands
/// out ids in turn up to 65535, so a window of the last 1024 never mistakes a new message for an old one.
struct PacketIDWindow {
    static let size = 1024
    private var order: [Int] = []
    private var seen: Set<Int> = []

    /// Records an id; false when it was seen already (a redelivery).
    mutating func insert(_ id: Int) -> Bool {
        guard seen.insert(id).inserted else { return false }
        order.append(id)
        if order.count > Self.size { seen.remove(order.removeFirst()) }
        return true
    }
}

/// Runs the MQTT bridge: the client's events and the engine's changes, until shutdown, when it
/// publishes `offline` and disconnects cleanly.
struct MQTTService: Service {
    let bridge: MQTTBridge
    let client: MQTTClient
    let changes: AsyncStream<EngineChange>
    let topics: MQTTTopics

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [bridge, changes] in
                    for await change in changes { await bridge.changed(change) }
                }
                for await event in client.events {
                    if let work = await bridge.connectionEvent(event) { group.addTask { await work() } }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [client, topics] in
            client.stop(final: [
                MQTTOutgoing(topic: topics.availability, payload: Array("offline".utf8), qos: 1, retain: true)
            ])
        }
    }
}
