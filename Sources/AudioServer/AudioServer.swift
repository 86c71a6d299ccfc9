import CPulse
import Engine
import FoundationEssentials
import SystemIO

/// One sink as the server describes it.
public struct ServerSink: Sendable, Equatable {
    public var index: UInt32
    public var name: String
    public var description: String
    /// `running`, `idle`, `suspended` (or `unknown`).
    public var state: String
    /// The Bluetooth address of a `bluez_output.*` / `bluez_sink.*` sink.
    public var bluetooth: String?
    public var channels: Int
}

/// The daemon's one connection to the audio server (PipeWire through pipewire-pulse, or PulseAudio),
/// over libpulse. It follows the server's sinks and streams through `pa_context_subscribe` (event
/// driven: nothing polls) and tells each sink output's state to `onState`; the sink players play
/// through the same connection.
///
/// When the server is absent or goes away, every sink output is `serverUnavailable` with the reason;
/// the connection is tried again after 1 s, doubling to 60 s, and at once when the server's socket
/// appears (inotify on its folder).
public final class AudioServer: @unchecked Sendable {
    // @unchecked: everything mutable is confined to `loop`'s thread.
    let loop: PulseLoop
    /// Output name → sink name.
    private let sinkOutputs: [String: String]
    private let onState: @Sendable (String, SinkState) -> Void
    /// The socket libpulse connects to when nothing else is configured (watched for reappearing).
    let socketPath: String?

    private(set) var context: OpaquePointer?
    private var ready = false
    private var synced = false
    private var pendingLists = 0
    private(set) var problem: String = "not connected yet"
    private var sinks: [UInt32: ServerSink] = [:]
    private struct SinkInput { var sink: UInt32; var client: UInt32; var corked: Bool }
    private var inputs: [UInt32: SinkInput] = [:]
    private var reported: [String: SinkState] = [:]
    private var retryTimer: Int?
    private let retryFirst: Duration
    private var retryDelay: Duration
    /// Short retries left after the socket appeared (up to 2 s).
    private var quickRetries = 0
    private var inotify: Inotify?
    private var watchEvent: OpaquePointer?
    private var stopping = false
    /// Called on the loop thread whenever the sinks or streams changed (players re-check).
    var onChange: [() -> Void] = []
    /// Waiters for the first complete picture of the server (or a failure), for discovery.
    private var syncWaiters: [CheckedContinuation<Result<[ServerSink], AudioServerError>, Never>] = []

    static let retryMost: Duration = .seconds(60)

    /// The server to connect to (`unix:PATH`); nil: libpulse's default (`PULSE_SERVER`, else the
    /// socket in `$XDG_RUNTIME_DIR/pulse`).
    let server: String?

    /// How long a sink player's new stream may take to be connected to its sink (the server links
    /// it through its session manager) before the player gives up on it.
    let streamDeadline: Duration

    /// `sinkOutputs`: output name → sink name. `onState` is called on the loop thread, in order.
    /// `retryFirst`: the first delay before connecting again (doubling to 60 s). `streamDeadline`:
    /// see the property (shorter than libpulse's own 30 s, which says only "Timeout").
    public init(
        sinkOutputs: [String: String], server: String? = nil, retryFirst: Duration = .seconds(1),
        streamDeadline: Duration = .seconds(20), onState: @escaping @Sendable (String, SinkState) -> Void = { _, _ in }
    ) {
        self.sinkOutputs = sinkOutputs
        self.retryFirst = retryFirst
        self.streamDeadline = streamDeadline
        retryDelay = retryFirst
        self.onState = onState
        self.server = server
        loop = PulseLoop(name: "routines-pulse")
        if let server, server.hasPrefix("unix:") {
            socketPath = String(server.dropFirst(5))
        } else {
            socketPath = server == nil ? Self.defaultSocketPath() : nil
        }
    }

    /// Starts the loop thread and the first connection attempt.
    public func start() {
        loop.start()
        loop.perform { [self] in
            watchSocket()
            connect()
        }
    }

    /// Disconnects and ends the loop thread.
    public func stop() {
        loop.perform { [self] in
            stopping = true
            loop.cancelTimer(retryTimer)
            dropContext()
            if let watchEvent { loop.api.pointee.io_free(watchEvent) }
            watchEvent = nil
            inotify?.close()
            inotify = nil
            failWaiters(AudioServerError(function: "stop", message: "stopped"))
        }
        loop.stop()
    }

    /// Disconnects, and returns once the loop thread has ended: a daemon on its way out exits only
    /// after libpulse stopped (a loop thread still dispatching while the process exits once aborted
    /// in libpulse's iochannel callback, "Assertion 'fd >= 0' failed").
    public func stopAndFinish() async {
        stop()
        await loop.finish()
    }

    /// The sinks, once the server answered (or why it did not, also after `timeout`).
    public func sinkList(timeout: Duration = .seconds(3)) async -> Result<[ServerSink], AudioServerError> {
        await withCheckedContinuation { continuation in
            let accepted = loop.perform { [self] in
                if ready && synced {
                    continuation.resume(returning: .success(sortedSinks))
                    return
                }
                syncWaiters.append(continuation)
                loop.after(timeout) { [self] in
                    failWaiters(AudioServerError(function: "pa_context_connect", message: problem))
                }
            }
            if !accepted {
                continuation.resume(returning: .failure(AudioServerError(function: "stop", message: Self.closed)))
            }
        }
    }

    /// Why a request after `stop` fails.
    static let closed = "the connection to the audio server is closed"

    private var sortedSinks: [ServerSink] { sinks.values.sorted { $0.index < $1.index } }

    // MARK: Loop thread: what players ask

    /// Whether the connection is up and the server's sinks are known.
    var isReady: Bool { ready && synced }

    func sink(named name: String) -> ServerSink? { sinks.values.first { $0.name == name } }

    /// Another client has an uncorked stream on the sink (which makes it RUNNING). The streams are the
    /// test rather than the sink's state: PipeWire does not announce IDLE → RUNNING while something
    /// records the sink's monitor, but it always announces its streams.
    func othersPlaying(_ name: String) -> Bool {
        guard let sink = sink(named: name), let context else { return false }
        let ours = pa_context_get_index(context)
        return inputs.values.contains { $0.sink == sink.index && $0.client != ours && !$0.corked }
    }

    /// Why a sink output cannot play now, or nil.
    func playProblem(sink name: String) -> String? {
        guard isReady else { return problem }
        guard sink(named: name) != nil else {
            return
                "the audio server has no sink '\(name)' (not connected?); `routines outputs --discover` lists the sinks"
        }
        return nil
    }

    // MARK: Connection

    private func connect() {
        guard !stopping, context == nil else { return }
        loop.cancelTimer(retryTimer)
        retryTimer = nil
        guard let context = pa_context_new(loop.api, "routines") else {
            failed("pa_context_new failed")
            return
        }
        self.context = context
        let me = Unmanaged.passUnretained(self).toOpaque()
        pa_context_set_state_callback(
            context,
            { context, userdata in
                guard let context, let userdata else { return }
                Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().stateChanged(context)
            }, me)
        // A connection refused at once goes through the state callback (FAILED), which drops the
        // context: only a failure it did not report is handled here.
        if pa_context_connect(context, server, PA_CONTEXT_NOAUTOSPAWN, nil) < 0, self.context == context {
            failed(Self.message(context))
        }
    }

    private func stateChanged(_ context: OpaquePointer) {
        guard context == self.context else { return }
        switch pa_context_get_state(context) {
        case PA_CONTEXT_READY:
            ready = true
            retryDelay = retryFirst
            quickRetries = 0
            subscribe(context)
        case PA_CONTEXT_FAILED, PA_CONTEXT_TERMINATED:
            failed(Self.message(context))
        default:
            break
        }
    }

    private func subscribe(_ context: OpaquePointer) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        pa_context_set_subscribe_callback(
            context,
            { context, type, index, userdata in
                guard let userdata else { return }
                Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().event(type, index)
            }, me)
        let mask = pa_subscription_mask_t(PA_SUBSCRIPTION_MASK_SINK.rawValue | PA_SUBSCRIPTION_MASK_SINK_INPUT.rawValue)
        unref(pa_context_subscribe(context, mask, nil, nil))
        synced = false
        pendingLists = 2
        unref(
            pa_context_get_sink_info_list(
                context,
                { _, info, eol, userdata in
                    guard let userdata else { return }
                    Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().sinkInfo(
                        info, eol: eol, listing: true)
                }, me))
        unref(
            pa_context_get_sink_input_info_list(
                context,
                { _, info, eol, userdata in
                    guard let userdata else { return }
                    Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().inputInfo(
                        info, eol: eol, listing: true)
                }, me))
    }

    private func event(_ type: pa_subscription_event_type_t, _ index: UInt32) {
        guard let context else { return }
        let facility = type.rawValue & PA_SUBSCRIPTION_EVENT_FACILITY_MASK.rawValue
        let kind = type.rawValue & PA_SUBSCRIPTION_EVENT_TYPE_MASK.rawValue
        let me = Unmanaged.passUnretained(self).toOpaque()
        if kind == PA_SUBSCRIPTION_EVENT_REMOVE.rawValue {
            if facility == PA_SUBSCRIPTION_EVENT_SINK.rawValue { sinks[index] = nil }
            if facility == PA_SUBSCRIPTION_EVENT_SINK_INPUT.rawValue { inputs[index] = nil }
            changed()
            return
        }
        if facility == PA_SUBSCRIPTION_EVENT_SINK.rawValue {
            unref(
                pa_context_get_sink_info_by_index(
                    context, index,
                    { _, info, eol, userdata in
                        guard let userdata else { return }
                        Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().sinkInfo(
                            info, eol: eol, listing: false)
                    }, me))
        } else if facility == PA_SUBSCRIPTION_EVENT_SINK_INPUT.rawValue {
            unref(
                pa_context_get_sink_input_info(
                    context, index,
                    { _, info, eol, userdata in
                        guard let userdata else { return }
                        Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().inputInfo(
                            info, eol: eol, listing: false)
                    }, me))
        }
    }

    private func sinkInfo(_ info: UnsafePointer<pa_sink_info>?, eol: Int32, listing: Bool) {
        if let info = info?.pointee, eol == 0 {
            let name = String(cString: info.name)
            let state: String =
                switch info.state {
                case PA_SINK_RUNNING: "running"
                case PA_SINK_IDLE: "idle"
                case PA_SINK_SUSPENDED: "suspended"
                default: "unknown"
                }
            sinks[info.index] = ServerSink(
                index: info.index, name: name, description: info.description.map { String(cString: $0) } ?? name,
                state: state, bluetooth: Self.bluetoothAddress(sink: name, properties: info.proplist),
                channels: Int(info.channel_map.channels))
            if !listing { changed() }
        } else if listing {
            listDone()
        }
    }

    private func inputInfo(_ info: UnsafePointer<pa_sink_input_info>?, eol: Int32, listing: Bool) {
        if let info = info?.pointee, eol == 0 {
            inputs[info.index] = SinkInput(sink: info.sink, client: info.client, corked: info.corked != 0)
            if !listing { changed() }
        } else if listing {
            listDone()
        }
    }

    private func listDone() {
        pendingLists -= 1
        guard pendingLists == 0 else { return }
        synced = true
        let list = sortedSinks
        let waiters = syncWaiters
        syncWaiters = []
        for waiter in waiters { waiter.resume(returning: .success(list)) }
        changed()
    }

    /// Reports each sink output's state when it changed, and lets players re-check.
    private func changed() {
        guard isReady else { return }
        for (output, sinkName) in sinkOutputs.sorted(by: { $0.key < $1.key }) {
            let state: SinkState = sink(named: sinkName) == nil ? .missing : othersPlaying(sinkName) ? .playing : .idle
            report(output, state)
        }
        for action in onChange { action() }
    }

    private func report(_ output: String, _ state: SinkState) {
        guard reported[output] != state else { return }
        reported[output] = state
        onState(output, state)
    }

    private func failed(_ reason: String) {
        let where_ = socketPath.map { " at \($0)" } ?? ""
        problem =
            "the audio server (PipeWire or PulseAudio) is not reachable\(where_): \(reason); tried again after a while (1 s, doubling to 1 min) and as soon as its socket appears"
        dropContext()
        failWaiters(
            AudioServerError(
                function: "pa_context_connect",
                message: "the audio server (PipeWire or PulseAudio) is not reachable\(where_): \(reason)"))
        for output in sinkOutputs.keys.sorted() { report(output, .serverUnavailable(problem)) }
        for action in onChange { action() }
        guard !stopping else { return }
        loop.cancelTimer(retryTimer)
        var delay = retryDelay
        if quickRetries > 0 {
            // The socket just appeared: the server binds it before it listens, so try again shortly.
            quickRetries -= 1
            delay = .milliseconds(200)
        } else {
            retryDelay = min(retryDelay * 2, max(retryFirst, Self.retryMost))
        }
        retryTimer = loop.after(delay) { [self] in
            retryTimer = nil
            connect()
        }
    }

    private func failWaiters(_ error: AudioServerError) {
        let waiters = syncWaiters
        syncWaiters = []
        for waiter in waiters { waiter.resume(returning: .failure(error)) }
    }

    private func dropContext() {
        ready = false
        synced = false
        sinks = [:]
        inputs = [:]
        guard let context else { return }
        self.context = nil
        pa_context_set_state_callback(context, nil, nil)
        pa_context_set_subscribe_callback(context, nil, nil)
        pa_context_disconnect(context)
        pa_context_unref(context)
    }

    private func unref(_ operation: OpaquePointer?) {
        if let operation { pa_operation_unref(operation) }
    }

    static func message(_ context: OpaquePointer) -> String {
        String(cString: pa_strerror(pa_context_errno(context)))
    }

    // MARK: The server's socket

    /// Where libpulse looks first: `PULSE_SERVER` (a `unix:` path), else `$XDG_RUNTIME_DIR/pulse/native`.
    static func defaultSocketPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let server = environment["PULSE_SERVER"] {
            if server.hasPrefix("unix:") { return String(server.dropFirst(5)) }
            return server.hasPrefix("/") ? server : nil
        }
        let runtime = environment["XDG_RUNTIME_DIR"] ?? "/run/user/\(CurrentProcess.userID)"
        return runtime + "/pulse/native"
    }

    /// Watches the socket's folder (and that folder's parent, for the folder appearing) with inotify,
    /// through an io event of the same main loop: a new socket means "try now".
    private func watchSocket() {
        guard let socketPath else { return }
        inotify = try? Inotify(nonBlocking: true)
        guard let inotify else { return }
        addWatches(socketPath)
        let me = Unmanaged.passUnretained(self).toOpaque()
        watchEvent = loop.api.pointee.io_new(
            loop.api, inotify.descriptor.rawValue, PA_IO_EVENT_INPUT,
            { _, _, _, _, userdata in
                guard let userdata else { return }
                Unmanaged<AudioServer>.fromOpaque(userdata).takeUnretainedValue().socketFolderChanged()
            }, me)
    }

    private func addWatches(_ socketPath: String) {
        let folder = FileKind.folder(of: socketPath)
        let parent = FileKind.folder(of: folder)
        _ = try? inotify?.watch(parent, for: [.created, .movedIn])
        _ = try? inotify?.watch(folder, for: [.created, .movedIn])
    }

    private func socketFolderChanged() {
        var sawSocket = false
        // Any creation in either folder: the folder or the socket appeared.
        while let events = try? inotify?.read(), !events.isEmpty { sawSocket = true }
        guard sawSocket, let socketPath, !stopping else { return }
        addWatches(socketPath)
        if context == nil && FileManager.default.fileExists(atPath: socketPath) {
            retryDelay = retryFirst
            quickRetries = 10
            connect()
        }
    }

    // MARK: Sinks

    /// `bluez_output.AA_BB_CC_DD_EE_FF.1` (PipeWire), `bluez_sink.AA_BB_CC_DD_EE_FF.a2dp_sink`
    /// (PulseAudio), or the `api.bluez5.address` / `device.string` property.
    static func bluetoothAddress(sink name: String, properties: OpaquePointer?) -> String? {
        for key in ["api.bluez5.address", "device.string"] {
            if let properties, let value = pa_proplist_gets(properties, key),
                let address = address(String(cString: value))
            {
                return address
            }
        }
        guard name.hasPrefix("bluez_") else { return nil }
        let parts = name.split(separator: ".")
        guard parts.count >= 2 else { return nil }
        return address(String(parts[1].map { $0 == "_" ? ":" : $0 }))
    }

    static func address(_ text: String) -> String? {
        let upper = text.uppercased()
        let parts = upper.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return upper
    }
}

/// A libpulse failure a user can act on: the output and sink, the C function, the server's words.
public struct AudioServerError: Error, Sendable, CustomStringConvertible, Equatable {
    public var output: String?
    public var sink: String?
    public var function: String
    public var message: String

    public init(output: String? = nil, sink: String? = nil, function: String, message: String) {
        self.output = output
        self.sink = sink
        self.function = function
        self.message = message
    }

    public var description: String {
        guard let output else { return "\(function): \(message)" }
        return "output '\(output)' (sink '\(sink ?? "")'): \(function): \(message)"
    }
}
