import ControlAPI
import CoreMetrics
import Devices
import Engine
import FoundationEssentials
import Logging
import MQTT
import Prometheus
import RoutineFiles
import RoutineModel
import Schedule
import ServiceLifecycle
import Speech
import SystemIO

/// Everything `routines daemon` needs to start.
public struct DaemonOptions: Sendable {
    public var paths: DaemonPaths
    public var logLevel: Logger.Level
    public var version: String
    /// Makes the audio output (the ALSA players, with sink outputs through the audio server).
    public var audio: @Sendable (Config, AudioCallbacks) -> any AudioOutput
    /// Test-opens an output's PCM (or checks its sink) for `routines outputs`: nil when it opens, else the error.
    public var testOpen: (@Sendable (String) async -> String?)?
    /// The PCM names ALSA knows (as `aplay -L`), offered when an output does not open.
    public var knownPCMs: (@Sendable () -> [String])?

    public init(
        paths: DaemonPaths, logLevel: Logger.Level, version: String,
        audio: @escaping @Sendable (Config, AudioCallbacks) -> any AudioOutput
    ) {
        self.paths = paths
        self.logLevel = logLevel
        self.version = version
        self.audio = audio
    }
}

/// A start-up problem, one line for the user.
public struct DaemonStartError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Composes the daemon: config, state, engine, routine folder, control API, systemd notifications,
/// run as one ServiceGroup that stops gracefully on SIGTERM/SIGINT.
public enum DaemonRuntime {
    public static func run(_ options: DaemonOptions) async throws {
        let level = options.logLevel
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        // Before anything makes a counter: swift-metrics binds each metric to the factory of its day.
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DaemonMetrics.factory(metrics))
        let logger = Logger(label: "routines")
        let paths = options.paths
        let notifier = SystemdNotifier()

        let config = try loadConfig(paths)
        let zone: ZoneRules
        do {
            zone =
                try config.timezone.map { name throws(ScheduleError) in try ZoneRules.named(name) }
                ?? ZoneRules.system()
        } catch {
            throw DaemonStartError("\(paths.config): timezone: \(error.message)")
        }
        do {
            try FileSystem.makeFolders(paths.state, permissions: [.ownerReadWriteExecute])
        } catch {
            throw DaemonStartError("cannot create the state folder \(paths.state): \(error)")
        }
        guard FileManager.default.fileExists(atPath: paths.routines) else {
            throw DaemonStartError(
                "the routines folder \(paths.routines) does not exist; create it (mkdir -p \(paths.routines)) or pass --routines DIR"
            )
        }
        let store = try SQLiteStateStore(folder: paths.state, keepPerRoutine: config.keepPerRoutine)
        try await store.closeDanglingRuns(at: Date())

        // The speech library starts on the first announcement (about 9 ms once) rather than here:
        // its voice data would otherwise stay resident in a daemon that may never speak.
        // Wyoming engines of `speech` are reached per announcement only (no connection while idle).
        let speech = SpeechEngines(config: config.speech, espeak: EspeakSynthesizer())
        // What the outputs report reaches the engine in the order it happened: one stream, one
        // consumer (`OutputEventService`), no task per event.
        let (outputEvents, outputEventSink) = AsyncStream.makeStream(of: OutputEvent.self)
        let callbacks = AudioCallbacks(
            written: { output in outputEventSink.yield(.written(output)) },
            availability: { output, available, error in
                if let error {
                    logger.error(
                        "\(error); the output counts as inactive until it opens again (tried again after 1 min, then less often, and at once when its Bluetooth device connects)"
                    )
                }
                if available { logger.info("output '\(output)' opens again") }
                outputEventSink.yield(.availability(output, available: available, reason: error))
            },
            firstFrame: { output in
                if logger.logLevel <= .debug {
                    let now = KernelClock.realtime.nanoseconds
                    let (seconds, microseconds) = (now / 1_000_000_000, now % 1_000_000_000 / 1000)
                    logger.debug(
                        "output '\(output)': first frame written at \(seconds).\(String(microseconds).leftPadded(6))"
                    )
                }
            },
            sinkState: { output, state in outputEventSink.yield(.sinkState(output, state)) })
        let audio = options.audio(config, callbacks)
        // MQTT: the client starts connecting now; its events wait in its stream for the bridge.
        let (changes, changeSink) = AsyncStream.makeStream(of: EngineChange.self)
        var mqtt: (client: MQTTClient, topics: MQTTTopics, config: MQTTConfig)?
        if let mqttConfig = config.mqtt {
            let topics = MQTTTopics(
                prefix: mqttConfig.prefix, node: mqttConfig.node ?? MQTTTopics.node(fromHostName: hostName()))
            let client = MQTTClient(
                options: try mqttOptions(mqttConfig, topics: topics, configFile: paths.config))
            mqtt = (client, topics, mqttConfig)
        }
        var publisher: (any MessagePublisher)?
        var mirror: @Sendable (EngineChange) -> Void = { _ in }
        if let client = mqtt?.client {
            publisher = MQTTMessagePublisher(client: client)
            mirror = { changeSink.yield($0) }
        }
        let testOpen = options.testOpen
        let knownPCMs = options.knownPCMs
        let engine = Engine(
            config: config,
            environment: EngineEnvironment(
                audio: audio, speech: speech, store: store, wallClock: TimerfdWallClock(),
                clock: TimerfdContinuousClock(),
                fireCalculator: ScheduleFireCalculator(defaultTimeZone: config.timezone, location: config.location),
                localTime: ZoneLocalTimeProvider(zone: zone), audioFiles: AudioFolders(folders: paths.audio),
                dates: SpokenDates(),
                log: { entry in
                    switch entry.level {
                    case .debug: logger.debug("\(entry.message)")
                    case .info: logger.info("\(entry.message)")
                    case .notice: logger.notice("\(entry.message)")
                    case .warning: logger.warning("\(entry.message)")
                    case .error: logger.error("\(entry.message)")
                    }
                }, publisher: publisher, changes: mirror))

        // Voices are checked against espeak-ng's own list; only routines that name a voice other
        // than the default start the speech library for that. Wyoming voices are not checked here
        // (the daemon does not call servers while nothing is spoken): `routines validate` asks the
        // server, and an announcement with a voice the server lacks falls back to espeak-ng.
        let library = RoutineLibrary(
            folder: paths.routines, config: config, engine: engine, logger: logger,
            extraChecks: { routine, file in
                let namesVoice = routine.actions.contains {
                    if case .announce(let spec) = $0.kind { return !spec.voice.isEmpty }
                    return false
                }
                return namesVoice ? await speech.voiceDiagnostics(for: routine, file: file, askServers: false) : []
            })
        let watcher: RoutineFolderWatcher
        do {
            watcher = try RoutineFolderWatcher(folder: paths.routines)
        } catch {
            throw DaemonStartError("\(error)")
        }
        let loaded = await library.loadAll()
        await engine.start()
        logger.info("loaded \(loaded) routines from \(paths.routines); state in \(store.path)")

        var tcp: (host: String, port: Int, token: String)?
        if let http = config.http {
            tcp = try tcpListener(http, configFile: paths.config)
        }
        let api = EngineAPI(
            engine: engine, library: library, store: store, config: config, zone: zone, version: options.version,
            metrics: metrics,
            outputsInfo: { probe in
                // Test opens only for `routines outputs`: opening a PCM on every status call would
                // disturb devices (a busy device, a Bluetooth link woken for nothing).
                await OutputRows.rows(
                    config: config, status: engine.status(), zone: zone, testOpen: probe ? testOpen : nil,
                    knownPCMs: knownPCMs)
            })
        let statusLine: @Sendable () async -> String = {
            let status = await engine.status()
            var line = "\(status.routines.count) routines, headphone mode \(status.headphoneMode ? "on" : "off")"
            if let next = await engine.upcomingFires(count: 1).first {
                line += ", next: \(next.routine) at \(zone.iso8601(next.time))"
            }
            return line
        }
        let server = ControlServer(
            socketPath: paths.socket, tcp: tcp, limits: ConnectionLimits(maxConnections: config.maxConnections),
            handler: APIRouter(operations: api), logger: logger,
            ready: {
                notifier.notify("READY=1\nSTATUS=\(await statusLine())")
            })
        // Shut down in reverse order: the engine first, so SIGTERM silences every output at once
        // (runs end `interrupted`) instead of after the other services have wound down.
        var services: [any Service] = [
            DeviceService(watcher: BlueZWatcher(), engine: engine, logger: logger),
            OutputEventService(events: outputEvents, engine: engine),
            FolderWatchService(watcher: watcher, library: library),
            WatchdogService(engine: engine, notifier: notifier, statusLine: statusLine),
            server,
            EngineService(engine: engine, notifier: notifier),
        ]
        if let mqtt {
            let discovery =
                mqtt.config.discovery
                ? HomeAssistantDiscovery(
                    prefix: mqtt.config.discoveryPrefix, topics: mqtt.topics, version: options.version)
                : nil
            let bridge = MQTTBridge(
                client: mqtt.client, api: api, engine: engine, store: store, topics: mqtt.topics, discovery: discovery,
                zone: zone, logger: logger)
            // Before the engine in the list: stopped after it, so `offline` goes out last.
            services.insert(
                MQTTService(bridge: bridge, client: mqtt.client, changes: changes, topics: mqtt.topics),
                at: services.count - 1)
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // Never hang on the way out: after 5 s of graceful shutdown, cancel; after 2 more, give up.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(5)
        groupConfiguration.maximumCancellationDuration = .seconds(2)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        logger.info("stopped")
    }

    static func loadConfig(_ paths: DaemonPaths) throws -> Config {
        let bytes: [UInt8]
        switch InputFile.read(paths.config) {
        case .success(let read):
            bytes = read
        case .failure(let problem):
            if problem.kind == .missing && !paths.configExplicit { return Config.defaults }
            throw DaemonStartError("cannot read the config file \(paths.config): \(problem.message)")
        }
        let result = ConfigDecoder.decode(bytes, file: paths.config)
        guard let config = result.value else {
            throw DaemonStartError(
                "the config file is invalid:\n" + result.errors.map(\.description).joined(separator: "\n"))
        }
        return config
    }

    static func hostName() -> String { CurrentProcess.hostName ?? "routines" }
}

/// What the audio layer reports back: frames written (idle clocks) and outputs that stop or start
/// opening (activity).
public struct AudioCallbacks: Sendable {
    public var written: @Sendable (String) -> Void
    public var availability: @Sendable (String, Bool, String?) -> Void
    /// Debug log of when a playback's first frame was written (wall clock, µs), for latency checks.
    public var firstFrame: @Sendable (String) -> Void
    /// A sink output's sink as the audio server reports it (present, another program playing, the
    /// server unreachable); delivered to the engine in order.
    public var sinkState: @Sendable (String, SinkState) -> Void
}

/// What an output reports to the engine.
enum OutputEvent: Sendable {
    /// Frames were written (the idle clocks restart).
    case written(String)
    /// The output stopped or started opening (activity), with the reason it does not.
    case availability(String, available: Bool, reason: String?)
    /// A sink output's sink as the audio server reports it.
    case sinkState(String, SinkState)
}

/// Feeds what the outputs report (frames written, outputs that stop or start opening, sink
/// states) to the engine, one event after the other in the order they happened.
struct OutputEventService: Service {
    let events: AsyncStream<OutputEvent>
    let engine: Engine

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await event in events {
                switch event {
                case .written(let output): await engine.audioWritten(output: output)
                case .availability(let output, let available, let reason):
                    await engine.setOutputAvailable(output, available, reason: reason)
                case .sinkState(let output, let state): await engine.sinkStateChanged(output, state)
                }
            }
        }
    }
}

/// Runs until shutdown, then stops the engine (running routines end as `interrupted`).
struct EngineService: Service {
    let engine: Engine
    let notifier: SystemdNotifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify("STOPPING=1")
        await engine.shutdown()
    }
}

/// Feeds BlueZ device connections to the engine (events, `connected` conditions, output activity).
struct DeviceService: Service {
    let watcher: BlueZWatcher
    let engine: Engine
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            for await event in watcher.events {
                switch event {
                case .connected(let device):
                    DaemonMetrics.deviceEvent("connected", device)
                    logger.info("Bluetooth \(device.kind.rawValue) '\(device.name)' (\(device.address)) connected")
                    await engine.deviceConnected(device)
                case .disconnected(let device):
                    DaemonMetrics.deviceEvent("disconnected", device)
                    logger.info("Bluetooth \(device.kind.rawValue) '\(device.name)' (\(device.address)) disconnected")
                    await engine.deviceDisconnected(device)
                case .unavailable(let reason):
                    if let reason {
                        logger.notice("no Bluetooth device events: \(reason)")
                    } else {
                        logger.info("BlueZ is available; following Bluetooth devices")
                    }
                }
            }
        } onGracefulShutdown: {
            watcher.stop()
        }
    }
}

/// Applies routine file changes as they happen.
struct FolderWatchService: Service {
    let watcher: RoutineFolderWatcher
    let library: RoutineLibrary

    func run() async throws {
        await withGracefulShutdownHandler {
            // A file that could not be read is tried again after 1 s, doubling to 1 min.
            var delays: [String: Duration] = [:]
            for await change in watcher.changes {
                let unreadable = Set(await library.changed(change))
                if let change, !unreadable.contains(change) { delays[change] = nil }
                for name in unreadable {
                    let delay = delays[name] ?? .seconds(1)
                    watcher.retry(name, after: delay)
                    delays[name] = min(delay * 2, .seconds(60))
                }
            }
        } onGracefulShutdown: {
            watcher.stop()
        }
    }
}

/// Pings the systemd watchdog at half its interval, but only after the engine answered, so a stuck
/// engine gets the daemon restarted; updates the STATUS= line at the same time.
struct WatchdogService: Service {
    let engine: Engine
    let notifier: SystemdNotifier
    let statusLine: @Sendable () async -> String

    func run() async throws {
        guard let interval = notifier.watchdogInterval else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await TimerfdContinuousClock().sleep(for: interval)
            } catch {
                return
            }
            let line = await statusLine()
            notifier.notify("WATCHDOG=1\nSTATUS=\(line)")
        }
    }
}

/// `publish` actions go to the broker through the MQTT client.
struct MQTTMessagePublisher: MessagePublisher {
    let client: MQTTClient

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) async throws {
        try client.publish(MQTTOutgoing(topic: topic, payload: payload, qos: qos, retain: retain))
    }
}

extension String {
    /// Pads with leading zeros to `width`.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
