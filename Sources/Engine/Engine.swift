import FoundationEssentials
import RoutineModel

/// Everything the engine talks to. The daemon passes the real implementations; tests pass recording
/// fakes and virtual clocks.
public struct EngineEnvironment: Sendable {
    /// Plays audio on named outputs.
    public var audio: any AudioOutput
    /// Synthesizes announcements.
    public var speech: any SpeechSynthesizer
    /// Headphone mode, catch-up marks, last audio per output, run history.
    public var store: any StateStore
    /// Wall time for schedules, history and status.
    public var wallClock: any WallClock
    /// Monotonic clock for `every`, `idle`, `wait` and `jitter` (`ContinuousClock()` in the daemon).
    public var clock: any Clock<Duration>
    /// Next-fire math of `at`, `cron` and `sun` triggers.
    public var fireCalculator: any FireCalculator
    /// Local time for conditions and templates.
    public var localTime: any LocalTimeProvider
    /// Resolves `play` and `chime` files inside the audio folders.
    public var audioFiles: any AudioFileLocator
    /// Says times, dates and weekdays in the announcement voice's language (`{time}` `{date}` `{weekday}`).
    public var dates: any DateSpeaker
    /// A random delay in `[0, bound]` for `jitter`.
    public var jitter: @Sendable (Duration) -> Duration
    /// Receives one entry per thing worth logging.
    public var log: @Sendable (EngineLogEntry) -> Void
    /// Sends the messages of `publish` actions; nil: `publish` fails with an error that says MQTT
    /// is not configured.
    public var publisher: (any MessagePublisher)?
    /// Told of every change of state a mirror may show (routines, headphone mode, outputs).
    public var changes: @Sendable (EngineChange) -> Void
    /// Where the engine's code and tasks run. Nil (the daemon): the engine is an ordinary actor on the
    /// global pool. Tests pass a single-threaded executor they can drain, so virtual-time tests are
    /// deterministic.
    public var executor: (any SerialExecutor & TaskExecutor)?

    /// Creates an environment; `jitter` defaults to a uniform random delay, `log` to nothing.
    public init(
        audio: any AudioOutput, speech: any SpeechSynthesizer, store: any StateStore, wallClock: any WallClock,
        clock: any Clock<Duration>, fireCalculator: any FireCalculator, localTime: any LocalTimeProvider,
        audioFiles: any AudioFileLocator, dates: any DateSpeaker,
        jitter: @escaping @Sendable (Duration) -> Duration = EngineEnvironment.uniformJitter,
        log: @escaping @Sendable (EngineLogEntry) -> Void = { _ in },
        executor: (any SerialExecutor & TaskExecutor)? = nil,
        publisher: (any MessagePublisher)? = nil,
        changes: @escaping @Sendable (EngineChange) -> Void = { _ in }
    ) {
        self.audio = audio
        self.speech = speech
        self.store = store
        self.wallClock = wallClock
        self.clock = clock
        self.fireCalculator = fireCalculator
        self.localTime = localTime
        self.audioFiles = audioFiles
        self.dates = dates
        self.jitter = jitter
        self.log = log
        self.executor = executor
        self.publisher = publisher
        self.changes = changes
    }

    /// A uniformly random delay in `[0, bound]`.
    public static func uniformJitter(_ bound: Duration) -> Duration {
        let nanos = bound.components.seconds * 1_000_000_000 + bound.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanos)))
    }
}

/// The engine: decides what runs. Sources (scheduler, routine store, device watcher, control API)
/// only report to it; it matches triggers, checks conditions, applies run modes and runs actions.
///
/// Lifecycle: `init` → `apply` every routine → `start()` → … → `shutdown()`. Routines applied before
/// `start()` are planned at start, where missed fires are caught up (`catchUp`) and `startup` triggers
/// fire; routines applied later (hot reload) are planned at once, without catch-up or `startup`.
///
/// Scheduling is event-driven, never polled: one planner task sleeps on `WallClock.sleep(until:)`
/// until the earliest wall-clock fire of all routines; one task per `every` trigger sleeps on the
/// monotonic clock; one idle timer per output sleeps until its earliest idle deadline.
public actor Engine {
    let env: EngineEnvironment
    let mono: MonotonicTimeline
    var config: Config
    var router: OutputRouter

    var routines: [String: Routine] = [:]
    /// Event name → routines with an `event` trigger on it.
    var eventIndex: [String: Set<String>] = [:]
    var headphoneMode = false
    /// Upper-cased address → device.
    var connectedDevices: [String: DeviceInfo] = [:]
    var started = false
    var stopping = false

    var runs = RunBook()
    var runTasks: [Int: Task<Void, Never>] = [:]
    /// The next run's id: one past the highest id in the history (read at `start()`), so a run's id
    /// is its history row's id and ids never restart.
    var nextRunID = 1
    /// Each run's chain of history writes (in order); a trigger's reply waits for the first.
    var rowWrites: [Int: (generation: Int, task: Task<Void, Never>)] = [:]
    var rowWriteGeneration = 0
    /// Runs whose history write failed, with the error.
    var rowWriteErrors: [Int: String] = [:]
    /// The store as an `OrderedRunStore` when it is one (the daemon's SQLite store): rows are then
    /// handed to it directly and `rowCommits` tracks them, instead of a task per write.
    nonisolated let orderedStore: (any OrderedRunStore)?
    nonisolated let rowCommits = RowCommits()
    /// Why a run was asked to end (the first reason wins): its outcome and the sentence recorded.
    var cancelReasons: [Int: (RunOutcome, String)] = [:]
    /// Audio calls in flight, by a private id.
    var activePlays: [Int: ActivePlay] = [:]
    var nextPlayID = 1
    /// `routines enable` / `disable` choices (from the state database), by routine name.
    var enabledOverrides: [String: Bool] = [:]
    /// Each routine's own `"enabled"` from its file.
    var fileEnabled: [String: Bool] = [:]
    var lastRuns: [String: Date] = [:]
    /// How the last run of each routine ended (in this daemon's life).
    var lastOutcomes: [String: RunOutcome] = [:]
    /// When each active run started executing.
    var runStarts: [Int: Date] = [:]

    var planner = WallPlanner()
    var plannerTask: Task<Void, Never>?
    var plannerDeadline: Date?
    var plannerGeneration = 0
    var everyTasks: [String: Task<Void, Never>] = [:]
    var delayedFires: [Int: Task<Void, Never>] = [:]
    /// Ids of jitter delays and idle timers (a stale wake-up is recognised by its id).
    var nextTimerID = 1

    var idle = IdleClocks()
    var idleTimers: [String: IdleTimer] = [:]
    /// Outputs whose PCM did not open: the timer after which the engine tries again (treats them as
    /// available, so their idle trigger makes the next attempt).
    var availabilityRetries: [String: Task<Void, Never>] = [:]
    /// Outputs whose PCM did not open: the error and when the next attempt is due (monotonic).
    var unavailable: [String: (reason: String?, retryAt: Duration)] = [:]

    private nonisolated let serialExecutor: UnownedSerialExecutor
    /// The task executor preference of every task the engine starts (nil: the global pool).
    nonisolated let taskExecutor: (any TaskExecutor)?
    /// Keeps the default executor alive when none is injected.
    private let executorHost: EngineExecutorHost?

    /// The injected executor, or a private default actor's.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { serialExecutor }

    /// Creates an engine for `config`; nothing runs until `start()`.
    public init(config: Config, environment: EngineEnvironment) {
        if let executor = environment.executor {
            serialExecutor = executor.asUnownedSerialExecutor()
            taskExecutor = executor
            executorHost = nil
        } else {
            let host = EngineExecutorHost()
            serialExecutor = host.unownedExecutor
            taskExecutor = nil
            executorHost = host
        }
        self.env = environment
        self.orderedStore = environment.store as? any OrderedRunStore
        self.mono = MonotonicTimeline(environment.clock)
        self.config = config
        self.router = OutputRouter(config: config)
        self.idle = IdleClocks(outputs: config.outputs)
    }

    func log(_ level: EngineLogEntry.Level, _ message: String) { env.log(EngineLogEntry(level, message)) }

    // MARK: Lifecycle

    /// Loads persisted state, plans every schedule (with catch-up), arms idle clocks, raises
    /// `daemon.started` and fires `startup` triggers.
    public func start() async {
        guard !started else { return }
        let now = env.wallClock.now()
        do {
            headphoneMode = try await env.store.headphoneMode()
            try await env.store.closeDanglingRuns(at: now)
            nextRunID = max(nextRunID, Int(try await env.store.maxRunID()) + 1)
            enabledOverrides = try await env.store.enabledOverrides()
        } catch {
            log(.error, "state store: \(error)")
        }
        for (name, enabled) in enabledOverrides where routines[name] != nil {
            routines[name]?.enabled = enabled
            idle.setTriggers(of: name, from: routines[name]!, at: mono.now)
        }
        for name in idle.outputNames {
            if let mark = try? await env.store.lastFire(IdleClocks.storeKey(name)) {
                let ago = Duration.seconds(max(0, now.timeIntervalSince(mark)))
                idle.setPersistedLastWrite(name, mono.now - ago)
            }
        }
        started = true
        idle.startClocks(at: mono.now)
        for name in routines.keys.sorted() { await planTriggers(of: name, catchingUp: true) }
        rearmPlanner()
        for name in idle.outputNames { rearmIdleTimer(name) }
        raise(Event("daemon.started"))
        for name in routines.keys.sorted() {
            guard let routine = routines[name], routine.enabled else { continue }
            for trigger in routine.triggers where trigger.kind == .startup {
                fire(name, trigger: "startup", eventData: [:])
            }
        }
    }

    /// Stops everything: timers, queued and running runs (their history rows end as `interrupted`).
    /// Returns when every run has ended.
    public func shutdown() async {
        stopping = true
        plannerTask?.cancel()
        plannerTask = nil
        for task in everyTasks.values { task.cancel() }
        everyTasks = [:]
        for task in delayedFires.values { task.cancel() }
        delayedFires = [:]
        for retry in availabilityRetries.values { retry.cancel() }
        availabilityRetries = [:]
        for name in Array(idleTimers.keys) { cancelIdleTimer(name) }
        for id in runs.allQueuedIDs { dropQueuedRun(id, .interrupted, "the daemon stopped before the run started") }
        let tasks = Array(runTasks.values)
        for id in Array(runTasks.keys) { cancelRun(id, .interrupted, "the daemon stopped during the run") }
        for task in tasks { await task.value }
        // Terminal rows of queued runs that never started.
        for write in Array(rowWrites.values) { await write.task.value }
        await rowCommits.waitForAll()
    }

    // MARK: Routines

    /// Adds or replaces a routine (the routine store sends the last valid version). Running runs of
    /// the old version go on; its schedules are re-planned.
    public func apply(_ routine: Routine) async {
        let name = routine.name
        var routine = routine
        fileEnabled[name] = routine.enabled
        if let chosen = enabledOverrides[name] { routine.enabled = chosen }
        unindex(name)
        routines[name] = routine
        for trigger in routine.triggers {
            if case .event(let event, _) = trigger.kind { eventIndex[event, default: []].insert(name) }
        }
        idle.setTriggers(of: name, from: routine, at: mono.now)
        for trigger in routine.triggers {
            if case .idle(let output, _) = trigger.kind, !idle.outputNames.contains(output) {
                log(.warning, "routine \(name): idle trigger on unknown output \(output); it never fires")
            }
        }
        env.changes(.routine(name))
        guard started, !stopping else { return }
        await planTriggers(of: name, catchingUp: false)
        considerPlannerDeadline(planner.nextFire(of: name))
        for output in idle.outputNames(of: name) { rearmIdleTimer(output) }
        env.changes(.routine(name))
    }

    /// Removes a routine: its schedules stop, queued runs are dropped and running runs are cancelled.
    public func remove(_ name: String) async {
        guard routines[name] != nil else { return }
        let outputs = idle.outputNames(of: name)
        unindex(name)
        routines[name] = nil
        idle.removeTriggers(of: name)
        for output in outputs { rearmIdleTimer(output) }
        fileEnabled[name] = nil
        for id in runs.queuedIDs(of: name) { dropQueuedRun(id, .cancelled, "the routine file was removed") }
        for id in runs.activeIDs(of: name) { cancelRun(id, .cancelled, "the routine file was removed") }
        rearmPlanner()
        env.changes(.routine(name))
    }

    /// Names of the loaded routines.
    public func routineNames() -> [String] { routines.keys.sorted() }

    private func unindex(_ name: String) {
        if let old = routines[name] {
            for trigger in old.triggers {
                if case .event(let event, _) = trigger.kind {
                    eventIndex[event]?.remove(name)
                    if eventIndex[event]?.isEmpty == true { eventIndex[event] = nil }
                }
            }
        }
        for key in everyTasks.keys where key.hasPrefix(name + "#") {
            everyTasks.removeValue(forKey: key)?.cancel()
        }
        planner.remove(routine: name)
    }

    // MARK: Triggers from outside

    /// Starts a routine now, skipping its conditions (SPEC §7). A disabled routine runs only with
    /// `force`. Returns once the run's history row is committed (an acknowledged run is recorded, even
    /// if the daemon is killed the next instant); with `wait`, when the run ends. `source` is recorded
    /// as the run's trigger: `cli`, `api`, `api 192.168.1.5`, `mqtt` (who asked). `data`: what the run
    /// sees as `{event.KEY}` (variables sent with the trigger).
    public func trigger(
        _ name: String, wait: Bool = false, force: Bool = false, source: String = "manual", data: [String: String] = [:]
    ) async throws -> TriggerResult {
        guard let routine = routines[name] else { throw EngineError("no routine named \(name)", kind: .notFound) }
        if !routine.enabled, !force {
            return .disabled(
                "routine \(name) is disabled (\(enabledExplanation(name))); use --force to run it anyway, "
                    + "or routines enable \(name)")
        }
        let admitted = fire(name, trigger: source, eventData: data, checkConditions: false, force: true)
        switch admitted {
        case .failure(let reason): return .ignored(reason.message)
        case .success(let id):
            // Expected before the commit is awaited: a run that ends meanwhile (a routine of a few
            // milliseconds) still reports its outcome to this caller.
            if wait { runs.waiterExpected.insert(id) }
            if let failure = await rowCommitted(id) {
                runs.waiterExpected.remove(id)
                runs.endedBeforeTheirWaiter[id] = nil
                throw EngineError(
                    "run \(id) of \(name) started, but it could not be recorded in the history: \(failure)")
            }
            guard wait else { return .started(runID: id) }
            let (outcome, error) = await waitForRun(id)
            return .finished(runID: id, outcome: outcome, error: error)
        }
    }

    /// Stops the runs of a routine (their audio ends within one block) and drops its queued runs;
    /// their history rows end `cancelled`. Returns once they have ended.
    public func stop(_ name: String, reason: String = "stopped by routines stop") async throws -> StopResult {
        guard routines[name] != nil || !runs.activeIDs(of: name).isEmpty || !runs.queuedIDs(of: name).isEmpty else {
            throw EngineError("no routine named \(name)", kind: .notFound)
        }
        var result = StopResult()
        for id in runs.queuedIDs(of: name) {
            dropQueuedRun(id, .cancelled, reason)
            result.dropped.append(id)
        }
        let active = runs.activeIDs(of: name)
        let tasks = active.compactMap { runTasks[$0] }
        for id in active { cancelRun(id, .cancelled, reason) }
        result.stopped = active
        for task in tasks { await task.value }
        if !result.stopped.isEmpty || !result.dropped.isEmpty {
            log(.info, "routine \(name): \(reason) (\(result.stopped.count) running, \(result.dropped.count) queued)")
        }
        return result
    }

    /// Stops every running and queued run (`routines stop --all`), by routine name.
    public func stopAll(reason: String = "stopped by routines stop --all") async -> [String: StopResult] {
        var results: [String: StopResult] = [:]
        for name in runs.busyRoutines {
            results[name] = try? await stop(name, reason: reason)
        }
        return results
    }

    /// Enables or disables a routine, kept in the state database across restarts and reloads of
    /// its file (which only gives the default). Running runs go on; `stop` ends them.
    public func setEnabled(_ name: String, _ enabled: Bool) async throws {
        guard var routine = routines[name] else { throw EngineError("no routine named \(name)", kind: .notFound) }
        try await env.store.setEnabledOverride(name, enabled)
        enabledOverrides[name] = enabled
        routine.enabled = fileEnabled[name] ?? routine.enabled
        log(.info, "routine \(name): \(enabled ? "enabled" : "disabled") (routines \(enabled ? "enable" : "disable"))")
        await apply(routine)
    }

    /// Whether the routine's file or the state database decides its `enabled`.
    public func enabledSource(_ name: String) -> EnabledSource { enabledOverrides[name] == nil ? .file : .state }

    func enabledExplanation(_ name: String) -> String {
        enabledOverrides[name] == false ? "by routines disable" : "\"enabled\": false in its file"
    }

    /// Raises an event: every enabled routine with a matching `event` trigger fires. Returns how many
    /// runs it started (or queued); `source` (`cli`, `api 192.168.1.5`) is recorded with each run's
    /// trigger as `event:NAME via SOURCE`.
    @discardableResult
    public func raise(_ event: Event, source: String? = nil) -> Int {
        guard !stopping, let names = eventIndex[event.name] else { return 0 }
        var started = 0
        for name in names.sorted() {
            guard let routine = routines[name], routine.enabled else { continue }
            // A routine never restarts itself from its own `routine.finished` (an endless loop otherwise).
            if event.name == "routine.finished", event.data["routine"] == name { continue }
            for trigger in routine.triggers {
                guard case .event(let expected, let match) = trigger.kind,
                    event.matches(name: expected, match: match)
                else { continue }
                let trigger = "event:\(event.name)" + (source.map { " via \($0)" } ?? "")
                if case .success = fire(name, trigger: trigger, eventData: event.data) { started += 1 }
                break
            }
        }
        return started
    }

    /// Speaks `text` once (`routines say`): routed like an announcement without `output`, with the
    /// output's lead-in, no chime; placeholders are not expanded.
    public func say(_ text: String, output: String? = nil, voice: String = "", rate: Int = 175) async throws {
        try await announce(AnnounceSpec(text: text, voice: voice, rate: rate, chime: .none, output: output), text: text)
    }

    // MARK: Headphone mode and devices

    /// Switches headphone mode, persists it and raises `headphones.mode {state}` when it changed.
    @discardableResult
    public func setHeadphoneMode(_ change: HeadphoneModeChange) async throws -> Bool {
        let on: Bool
        switch change {
        case .on: on = true
        case .off: on = false
        case .toggle: on = !headphoneMode
        }
        guard on != headphoneMode else { return on }
        if on && !config.hasHeadphoneOutput {
            throw EngineError(
                "headphone mode needs a second output, but the config has only '\(config.defaultOutput)': add the "
                    + "headphones to 'outputs' and name them in 'headphoneOutput' (docs/routines.md)")
        }
        try await env.store.setHeadphoneMode(on)
        let previous = router.output(explicit: nil, headphoneMode: headphoneMode)
        headphoneMode = on
        let next = router.output(explicit: nil, headphoneMode: on)
        if previous != next {
            // Implicit audio follows headphone mode: what still plays on the old output stops.
            stopAudio(
                on: previous, onlyImplicit: true,
                reason: "headphone mode switched \(on ? "on" : "off"): audio moved from output \(previous) to \(next)")
        }
        log(.info, "headphone mode \(on ? "on" : "off")")
        env.changes(.headphoneMode)
        raise(Event("headphones.mode", ["state": on ? "on" : "off"]))
        return on
    }

    /// Whether headphone mode is on.
    public func isHeadphoneModeOn() -> Bool { headphoneMode }

    /// BlueZ reports a device connected: raises `device.connected`, activates its outputs.
    public func deviceConnected(_ device: DeviceInfo) {
        let address = device.address.uppercased()
        connectedDevices[address] = device
        updateActivity(bluetooth: address, connected: true)
        raise(Event("device.connected", device.eventData))
    }

    /// BlueZ reports a device disconnected: raises `device.disconnected`, deactivates its outputs.
    public func deviceDisconnected(_ device: DeviceInfo) {
        let address = device.address.uppercased()
        connectedDevices[address] = nil
        updateActivity(bluetooth: address, connected: false)
        raise(Event("device.disconnected", device.eventData))
    }

    /// The audio layer reports whether an output's PCM can be opened (a missing PCM is inactive).
    ///
    /// An output that does not open is not given up: after `availabilityRetryFirst` (doubling to
    /// `availabilityRetryMost`) it counts as available again, so its idle trigger makes the next
    /// attempt (a device that came back, a PCM that appears after its Bluetooth link). Nothing polls:
    /// one timer per failing output. A Bluetooth reconnect of the output's device retries at once.
    public func setOutputAvailable(_ output: String, _ available: Bool, reason: String? = nil) {
        if available {
            availabilityRetries.removeValue(forKey: output)?.cancel()
            unavailable[output] = nil
        } else {
            if availabilityRetries[output] == nil {
                scheduleAvailabilityRetry(output, after: Self.availabilityRetryFirst)
            }
            if let reason { unavailable[output, default: (nil, mono.now)].reason = reason }
        }
        guard idle.setAvailable(output, available, at: mono.now) else { return }
        activityChanged(output)
    }

    static let availabilityRetryFirst: Duration = .seconds(60)
    static let availabilityRetryMost: Duration = .seconds(600)

    private func scheduleAvailabilityRetry(_ output: String, after delay: Duration) {
        let next = min(delay * 2, Self.availabilityRetryMost)
        unavailable[output, default: (nil, mono.now)].retryAt = mono.now + delay
        let task = Task(executorPreference: taskExecutor) { [mono] in
            do { try await mono.sleep(for: delay) } catch { return }
            await self.retryAvailability(output, next: next)
        }
        availabilityRetries[output] = task
    }

    private func retryAvailability(_ output: String, next: Duration) {
        guard !stopping, idle.outputs[output]?.available == false else { return }
        log(.info, "output \(output): trying it again")
        // Until the attempt reports back, the next retry is already planned (a failure that is not
        // reported again keeps the schedule going).
        scheduleAvailabilityRetry(output, after: next)
        if idle.setAvailable(output, true, at: mono.now) { activityChanged(output) }
    }

    private func updateActivity(bluetooth address: String, connected: Bool) {
        for output in idle.outputs(withBluetooth: address) {
            if connected, idle.outputs[output]?.available == false {
                // A new link: what failed to open before gets a fresh try now.
                availabilityRetries.removeValue(forKey: output)?.cancel()
                if idle.setAvailable(output, true, at: mono.now) { activityChanged(output) }
            }
            guard idle.setConnected(output, connected, at: mono.now) else { continue }
            activityChanged(output)
        }
    }

    /// An output turned active or inactive (for sources outside this file).
    func outputActivityChanged(_ output: String) { activityChanged(output) }

    private func activityChanged(_ output: String) {
        let active = idle.isActive(output)
        log(.info, "output \(output) is now \(active ? "active" : "inactive")")
        if !active {
            let disconnected = idle.outputs[output].map { $0.bluetooth != nil && !$0.connected } == true
            let why =
                disconnected
                ? "output \(output) became inactive (its Bluetooth device disconnected)"
                : "output \(output) became unavailable (its PCM does not open)"
            // An inactive output needs no keep-alive: stop the pending fire and the burst in flight.
            for id in idle.inFlightRuns(of: output) { cancelRun(id, .cancelled, why) }
            // A device that went away takes its audio with it. (A PCM that does not open plays
            // nothing: its jobs fail one by one with the audio library's own error.)
            if disconnected { stopAudio(on: output, reason: why + "; its audio stopped") }
        }
        rearmIdleTimer(output)
        env.changes(.output(output))
    }
}

/// An empty default actor whose executor the engine borrows when no executor is injected.
actor EngineExecutorHost {}
