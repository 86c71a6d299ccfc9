import CMosquitto
import FoundationEssentials
import Glibc
import SystemIO

/// The connection thread's state; the libmosquitto handle never leaves this class or its thread.
final class MosquittoSession {
    let options: MQTTClientOptions
    let shared: MQTTShared
    let emit: (MQTTClientEvent) -> Void
    /// The last error or warning libmosquitto logged (OpenSSL's reason for a failed handshake).
    var lastLog: String?
    /// Set by the CONNACK callback when the broker refused us.
    var refusal: String?
    /// Wait before the next attempt; back to 1 s once the broker accepts a connection.
    var backoff: Duration = .seconds(1)
    /// Monotonic seconds of the last packet read and the last one written, for the keep-alive.
    var lastIn = 0.0
    var lastOut = 0.0

    static let maximumBackoff: Duration = .seconds(60)

    init(options: MQTTClientOptions, shared: MQTTShared, emit: @escaping (MQTTClientEvent) -> Void) {
        self.options = options
        self.shared = shared
        self.emit = emit
    }

    enum SessionEnd {
        case stopped
        case lost(String)
    }

    func run() {
        if let problem = MosquittoLibrary.loadProblem {
            report("cannot open libmosquitto: \(problem) (install libmosquitto1)")
            _ = waitForStop(nil)
            return
        }
        // Not a clean start: the broker keeps subscriptions and QoS 1 commands for `sessionExpiry`.
        guard let mosq = mosquitto_new(options.clientID, false, Unmanaged.passUnretained(self).toOpaque()) else {
            report("cannot create a libmosquitto client (\(String(cString: strerror(errno))))")
            _ = waitForStop(nil)
            return
        }
        defer { mosquitto_destroy(mosq) }
        if let problem = configure(mosq) {
            report(problem)
            _ = waitForStop(nil)
            return
        }
        while true {
            switch session(mosq) {
            case .stopped: return
            case .lost(let reason):
                if case .stopped = waitAfter(reason) { return }
            }
        }
    }

    /// Says why the connection is down and when the next attempt comes, waits, doubles the wait.
    func waitAfter(_ reason: String) -> SessionEnd {
        shared.state.withLock {
            $0.connected = false
            $0.problem = reason
        }
        emit(.disconnected(reason: reason, retryIn: backoff))
        let stopped = waitForStop(backoff)
        backoff = min(Self.maximumBackoff, backoff * 2)
        return stopped ? .stopped : .lost(reason)
    }

    func report(_ problem: String) {
        shared.state.withLock { $0.problem = problem }
        emit(.disconnected(reason: "MQTT broker \(options.label): \(problem)", retryIn: .zero))
    }

    /// Protocol, credentials, TLS, will and callbacks; a message when something is refused.
    func configure(_ mosq: OpaquePointer) -> String? {
        _ = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)
        // Small packets (a PUBACK, a state update) go out at once instead of waiting for an ACK (Nagle).
        _ = mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1)
        if let username = options.username {
            let rc = mosquitto_username_pw_set(mosq, username, options.password)
            if rc != MOSQ_ERR_SUCCESS.rawValue { return "user name: \(describe(rc))" }
        }
        if options.tls {
            if let caFile = options.caFile {
                do {
                    try FileSystem.checkReadable(caFile)
                } catch {
                    return "cannot read the CA file \(caFile) (mqtt.caFile): \(error.errno)"
                }
                let rc = mosquitto_tls_set(mosq, caFile, nil, nil, nil, nil)
                if rc != MOSQ_ERR_SUCCESS.rawValue { return "TLS with the CA file \(caFile): \(describe(rc))" }
            } else {
                _ = mosquitto_int_option(mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
            }
        }
        if let will = options.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(
                    mosq, will.topic, Int32(bytes.count), bytes.baseAddress, Int32(will.qos), will.retain)
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue { return "will on \(will.topic): \(describe(rc))" }
        }
        mosquitto_connect_v5_callback_set(mosq, mosquittoConnected)
        mosquitto_message_v5_callback_set(mosq, mosquittoMessage)
        mosquitto_log_callback_set(mosq, mosquittoLog)
        return nil
    }

    /// One connection: connect, then poll the socket until it ends or `stop()`.
    func session(_ mosq: OpaquePointer) -> SessionEnd {
        lastLog = nil
        refusal = nil
        var properties: OpaquePointer?
        _ = mosquitto_property_add_int32(
            &properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpiry)
        let rc = mosquitto_connect_bind_v5(
            mosq, options.host, Int32(options.port), Int32(options.keepAlive), nil, properties)
        mosquitto_property_free_all(&properties)
        if rc != MOSQ_ERR_SUCCESS.rawValue { return .lost(lostReason(rc)) }
        lastIn = Self.now()
        lastOut = lastIn
        while true {
            let sock = mosquitto_socket(mosq)
            guard sock >= 0 else { return .lost(lostReason(MOSQ_ERR_NO_CONN.rawValue)) }
            let keepAlive = Double(options.keepAlive)
            let due = min(lastIn, lastOut) + keepAlive
            let timeout = Int32(max(0, min(Double(Int32.max / 2), ((due - Self.now()) * 1000).rounded(.up))))
            let socket = FileDescriptor(rawValue: sock)
            let ready: [PollEvents]
            do {
                ready = try Poll.wait(
                    [
                        (socket, mosquitto_want_write(mosq) ? [.readable, .writable] : .readable),
                        (shared.wakeDescriptor, .readable),
                    ], timeoutMilliseconds: timeout)
            } catch {
                return .lost("\(error)")
            }
            if ready[1] != [] {
                shared.drain()
                for command in shared.take() {
                    switch command {
                    case .publish(let message):
                        let rc = message.payload.withUnsafeBytes { bytes in
                            mosquitto_publish(
                                mosq, nil, message.topic, Int32(bytes.count), bytes.baseAddress, Int32(message.qos),
                                message.retain)
                        }
                        if rc != MOSQ_ERR_SUCCESS.rawValue { lastLog = "publish to \(message.topic): \(describe(rc))" }
                    case .subscribe(let filters):
                        for filter in filters { _ = mosquitto_subscribe(mosq, nil, filter, 1) }
                    case .unsubscribe(let filters):
                        for filter in filters { _ = mosquitto_unsubscribe(mosq, nil, filter) }
                    case .stop:
                        disconnect(mosq)
                        return .stopped
                    }
                    lastOut = Self.now()
                }
            }
            if !ready[0].isDisjoint(with: [.readable, .hangUp, .error]) {
                let rc = mosquitto_loop_read(mosq, 1)
                lastIn = Self.now()
                // ACK at once rather than after the kernel's delayed-ACK timer (up to 40 ms): a broker
                // with Nagle on (Mosquitto's default) holds its next small packet, say a command,
                // until its last one (a PUBACK for our state update) is acknowledged. Linux clears
                // quick-ACK mode by itself, so it is set again after every read.
                try? socket.acknowledgeQuickly()
                if let refusal { return .lost(refusal) }
                if rc != MOSQ_ERR_SUCCESS.rawValue { return .lost(lostReason(rc)) }
            }
            if ready[0].contains(.writable) {
                let rc = mosquitto_loop_write(mosq, 1)
                lastOut = Self.now()
                if rc != MOSQ_ERR_SUCCESS.rawValue { return .lost(lostReason(rc)) }
            }
            if Self.now() >= due {
                // Sends PINGREQ (libmosquitto then resets its own clocks to wait for PINGRESP), or
                // ends a connection whose ping went unanswered.
                let rc = mosquitto_loop_misc(mosq)
                lastIn = Self.now()
                lastOut = lastIn
                if rc != MOSQ_ERR_SUCCESS.rawValue { return .lost(lostReason(rc)) }
            }
        }
    }

    /// A clean DISCONNECT (the broker does not publish the will), written out within a second.
    func disconnect(_ mosq: OpaquePointer) {
        _ = mosquitto_disconnect(mosq)
        let deadline = Self.now() + 1
        while mosquitto_want_write(mosq), Self.now() < deadline {
            let sock = mosquitto_socket(mosq)
            guard sock >= 0 else { break }
            _ = try? Poll.wait([(FileDescriptor(rawValue: sock), .writable)], timeoutMilliseconds: 100)
            if mosquitto_loop_write(mosq, 1) != MOSQ_ERR_SUCCESS.rawValue { break }
        }
        shared.state.withLock { $0.connected = false }
    }

    /// Waits `delay` (nil: forever) for the wake-up eventfd; true when `stop()` was asked. Messages
    /// queued meanwhile are dropped: the client was not connected when they were accepted.
    func waitForStop(_ delay: Duration?) -> Bool {
        let end = delay.map { Self.now() + Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        while true {
            let timeout = end.map { Int32(max(0, (($0 - Self.now()) * 1000).rounded(.up))) } ?? -1
            if let end, Self.now() >= end { return false }
            // An error (there is none to expect) ends the wait like the delay would.
            guard let ready = try? Poll.wait([(shared.wakeDescriptor, .readable)], timeoutMilliseconds: timeout) else {
                return false
            }
            if ready != [[]] {
                shared.drain()
                let commands = shared.take()
                if commands.contains(where: { if case .stop = $0 { return true } else { return false } }) {
                    return true
                }
                // Subscriptions are made again after the next connect; keep them queued for it.
                let keep = commands.filter { if case .publish = $0 { return false } else { return true } }
                shared.state.withLock { $0.outbox.insert(contentsOf: keep, at: 0) }
            } else {
                return false
            }
        }
    }

    /// Why a connection attempt failed or a connection ended, for the user.
    func lostReason(_ rc: Int32) -> String {
        "MQTT broker \(options.label): \(describe(rc))"
    }

    func describe(_ rc: Int32) -> String {
        switch rc {
        case MOSQ_ERR_ERRNO.rawValue:
            return String(cString: strerror(errno))
        case MOSQ_ERR_EAI.rawValue:
            return "cannot resolve the host name '\(options.host)'"
        case MOSQ_ERR_TLS.rawValue, MOSQ_ERR_TLS_HANDSHAKE.rawValue:
            return
                "TLS failed (\(lastLog ?? "handshake error")); check mqtt.caFile (the CA that signed the broker's certificate) and that the certificate names \(options.host)"
        default:
            let text = String(cString: mosquitto_strerror(rc))
            if let lastLog, lastLog.contains("OpenSSL") { return "\(text) (\(lastLog))" }
            return text
        }
    }

    func connected(_ rc: Int32, flags: Int32) {
        guard rc == 0 else {
            let reason = String(cString: mosquitto_reason_string(rc))
            var hint = ""
            if rc == Int32(MQTT_RC_BAD_USERNAME_OR_PASSWORD.rawValue) || rc == Int32(MQTT_RC_NOT_AUTHORIZED.rawValue) {
                hint =
                    options.username == nil
                    ? "; the broker wants a user name: set mqtt.username and mqtt.passwordFile"
                    : "; check mqtt.username ('\(options.username!)') and the password in mqtt.passwordFile"
            }
            refusal = "MQTT broker \(options.label) refused the connection: \(reason)\(hint)"
            return
        }
        backoff = .seconds(1)
        shared.state.withLock {
            $0.connected = true
            $0.problem = nil
        }
        emit(.connected(sessionPresent: flags & 1 != 0))
    }

    static func now() -> Double {
        Double(KernelClock.monotonic.nanoseconds) / 1e9
    }
}

/// libmosquitto is opened (dlopen) and initialised (`mosquitto_lib_init`) once per process, when the
/// first session starts: a daemon without MQTT never maps it, nor libssl and libcrypto.
enum MosquittoLibrary {
    /// Nil once the library is open and initialised; else why not.
    static let loadProblem: String? = {
        if let error = routines_mosquitto_load() { return String(cString: error) }
        let rc = mosquitto_lib_init()
        return rc == MOSQ_ERR_SUCCESS.rawValue ? nil : "mosquitto_lib_init failed (\(rc))"
    }()
}

private func session(_ obj: UnsafeMutableRawPointer?) -> MosquittoSession? {
    obj.map { Unmanaged<MosquittoSession>.fromOpaque($0).takeUnretainedValue() }
}

private func mosquittoConnected(
    _ mosq: OpaquePointer?, _ obj: UnsafeMutableRawPointer?, _ rc: Int32, _ flags: Int32, _ props: OpaquePointer?
) {
    session(obj)?.connected(rc, flags: flags)
}

private func mosquittoMessage(
    _ mosq: OpaquePointer?, _ obj: UnsafeMutableRawPointer?, _ message: UnsafePointer<mosquitto_message>?,
    _ props: OpaquePointer?
) {
    guard let session = session(obj), let message = message?.pointee, let topic = message.topic else { return }
    let payload: [UInt8]
    if let bytes = message.payload, message.payloadlen > 0 {
        payload = Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
    } else {
        payload = []
    }
    session.emit(
        .message(
            MQTTMessage(
                topic: String(cString: topic), payload: payload, qos: Int(message.qos), retain: message.retain,
                packetID: Int(message.mid))))
}

private func mosquittoLog(
    _ mosq: OpaquePointer?, _ obj: UnsafeMutableRawPointer?, _ level: Int32, _ text: UnsafePointer<CChar>?
) {
    guard let session = session(obj), let text, level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0 else { return }
    session.lastLog = String(cString: text)
}
