import FoundationEssentials
import Synchronization
import SystemIO
import ThreadExecutor

/// How to reach the broker.
public struct MQTTClientOptions: Sendable {
    /// Host name or address of the broker.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Whether to speak TLS.
    public var tls: Bool
    /// A PEM file of the CA that signs the broker's certificate; nil: the system's CAs.
    public var caFile: String?
    /// User name and password, when the broker wants them.
    public var username: String?
    public var password: String?
    /// The client id, stable across restarts (the broker keeps the session under it).
    public var clientID: String
    /// Seconds between keep-alive pings when nothing else is sent.
    public var keepAlive: Int
    /// Published by the broker when the connection dies without a DISCONNECT (`kill -9`, a lost link).
    public var will: MQTTOutgoing?
    /// How long the broker keeps the session (subscriptions and QoS 1 messages for us) after a
    /// disconnect, in seconds. Commands sent during a short outage arrive after the reconnect; older
    /// ones are dropped with the session.
    public var sessionExpiry: UInt32
    /// The broker as written in the config, for messages (`mqtt://host:1883`).
    public var label: String

    public init(
        host: String, port: Int, tls: Bool = false, caFile: String? = nil, username: String? = nil,
        password: String? = nil, clientID: String, keepAlive: Int = 60, will: MQTTOutgoing? = nil,
        sessionExpiry: UInt32 = 300, label: String? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.caFile = caFile
        self.username = username
        self.password = password
        self.clientID = clientID
        self.keepAlive = keepAlive
        self.will = will
        self.sessionExpiry = sessionExpiry
        self.label = label ?? "\(tls ? "mqtts" : "mqtt")://\(host):\(port)"
    }
}

/// A message to publish.
public struct MQTTOutgoing: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool
    public init(topic: String, payload: [UInt8], qos: Int = 0, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// A message the broker delivered.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    /// Delivered from the broker's retained store (on subscribing), not published just now.
    public var retain: Bool
    /// The packet id (QoS ≥ 1): a redelivery of the same message in the same session carries the same id.
    public var packetID: Int
    public init(topic: String, payload: [UInt8], qos: Int, retain: Bool, packetID: Int) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.packetID = packetID
    }
}

/// What the connection reports, in order.
public enum MQTTClientEvent: Sendable, Equatable {
    /// The broker accepted the connection. `sessionPresent`: it kept our session from before.
    case connected(sessionPresent: Bool)
    case message(MQTTMessage)
    /// The connection ended or could not be made; the reason names the broker, and the client tries
    /// again after `retryIn`.
    case disconnected(reason: String, retryIn: Duration)
}

/// An error of the MQTT client, for the user.
public struct MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An MQTT connection over libmosquitto, driven on a thread of its own.
///
/// libmosquitto's own loop thread (`mosquitto_loop_start`) wakes every second; this one sleeps in
/// `poll` on the connection's socket and an eventfd, and calls `mosquitto_loop_misc` only when the
/// keep-alive is due, so an idle connection wakes twice per keep-alive interval (the ping and its
/// answer). It connects, reconnects with a growing wait (1 s doubling to 60 s) and reports through
/// `events`; callers publish and subscribe from any thread.
public final class MQTTClient: Sendable {
    /// Connections, messages and disconnections, in order. Finishes after `stop()`.
    public let events: AsyncStream<MQTTClientEvent>
    let continuation: AsyncStream<MQTTClientEvent>.Continuation
    let shared: MQTTShared
    public let options: MQTTClientOptions

    /// Starts the thread, which connects at once.
    public init(options: MQTTClientOptions) {
        self.options = options
        (events, continuation) = AsyncStream.makeStream(of: MQTTClientEvent.self)
        shared = MQTTShared(wake: try? EventFD(nonBlocking: true))
        // The session's loop is the thread's one job (it blocks in poll); the thread ends with it.
        DedicatedThreadExecutor.spawn(name: "routines-mqtt", stackSize: 512 * 1024) { [options, shared, continuation] in
            MosquittoSession(options: options, shared: shared, emit: { continuation.yield($0) }).run()
            continuation.finish()
        }
    }

    /// Whether the broker has accepted the connection and it has not ended since.
    public var isConnected: Bool { shared.state.withLock { $0.connected } }

    /// Why the last connection attempt failed or the connection ended (nil while connected).
    public var lastProblem: String? { shared.state.withLock { $0.problem } }

    /// Publishes a message. Throws when the client is not connected (the message is not kept).
    public func publish(_ message: MQTTOutgoing) throws(MQTTError) {
        let accepted = shared.state.withLock { state -> String? in
            guard state.connected else { return state.problem ?? "not connected yet" }
            state.outbox.append(.publish(message))
            return nil
        }
        if let problem = accepted {
            throw MQTTError(
                "MQTT broker \(options.label) is not connected (\(problem)); \(message.topic) not published")
        }
        shared.signal()
    }

    /// Publishes when connected; otherwise drops it (retained state is published again on connect).
    public func publishIfConnected(_ message: MQTTOutgoing) {
        do { try publish(message) } catch {}
    }

    /// Subscribes to topic filters at QoS 1 (now when connected; the caller resubscribes after each
    /// `connected`).
    public func subscribe(_ filters: [String]) {
        guard !filters.isEmpty else { return }
        shared.state.withLock { $0.outbox.append(.subscribe(filters)) }
        shared.signal()
    }

    /// Unsubscribes from topic filters.
    public func unsubscribe(_ filters: [String]) {
        guard !filters.isEmpty else { return }
        shared.state.withLock { $0.outbox.append(.unsubscribe(filters)) }
        shared.signal()
    }

    /// Sends what is queued (`final` messages first, e.g. a retained `offline`), disconnects cleanly
    /// and ends the thread; `events` finishes.
    public func stop(final: [MQTTOutgoing] = []) {
        shared.state.withLock { state in
            if state.connected { state.outbox.append(contentsOf: final.map { .publish($0) }) }
            state.outbox.append(.stop)
        }
        shared.signal()
    }
}

/// What callers hand to the connection thread.
enum MQTTCommand: Sendable {
    case publish(MQTTOutgoing)
    case subscribe([String])
    case unsubscribe([String])
    case stop
}

/// State shared between callers and the connection thread.
final class MQTTShared: Sendable {
    struct State {
        var connected = false
        var problem: String?
        var outbox: [MQTTCommand] = []
    }
    let state = Mutex(State())
    /// An eventfd the thread polls; written to wake it (nil only when the process had no
    /// descriptor left for it: then only the keep-alive wakes the thread).
    let wake: EventFD?

    init(wake: EventFD?) { self.wake = wake }

    /// What the thread polls for commands (-1, ignored by poll, without an eventfd).
    var wakeDescriptor: FileDescriptor { wake?.descriptor ?? FileDescriptor(rawValue: -1) }

    func signal() {
        try? wake?.signal()
    }

    /// Empties the eventfd.
    func drain() {
        _ = try? wake?.drain()
    }

    func take() -> [MQTTCommand] {
        state.withLock { state in
            defer { state.outbox = [] }
            return state.outbox
        }
    }
}
