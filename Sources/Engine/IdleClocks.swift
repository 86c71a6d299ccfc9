import FoundationEssentials
import RoutineModel

/// Identifies one `idle` trigger: its routine and its index in `triggers`.
struct IdleTriggerKey: Hashable, Sendable, Comparable {
    var routine: String
    var index: Int
    static func < (a: Self, b: Self) -> Bool { (a.routine, a.index) < (b.routine, b.index) }
}

/// One `idle` trigger's state.
struct IdleTrigger: Sendable {
    var key: IdleTriggerKey
    var output: String
    var duration: Duration
    /// Set when a run of it (or a refused fire) ended: the trigger counts again from here.
    var rearmedAt: Duration?
    /// The run it started, while that run is going on (the trigger is disarmed meanwhile).
    var inFlightRun: Int?
    var firing = false
}

/// One output's activity and idle clock, on the engine's monotonic timeline.
struct OutputClock: Sendable {
    var bluetooth: String?
    var connected = false
    /// False while the output's PCM cannot be opened.
    var available = true
    /// For a sink output: what the audio server last said about the sink (nil: nothing yet, so the
    /// output is inactive until the server reports it). Always nil for an ALSA output.
    var sink: SinkState?
    var isSinkOutput = false
    /// The idle clock's start: the last frame written, or the moment the output became active.
    /// Nil while inactive.
    var clockStart: Duration?
    /// The last frame written, for status.
    var lastWrite: Duration?
    /// From the state store, for the first activation after a restart.
    var persistedLastWrite: Duration?
    /// Whether activity was ever reported in this engine's life.
    var reported = false
    /// Play calls in progress through the engine: the output is not idle meanwhile.
    var playing = 0
    /// Keep-alive bursts started, for "bursts in the last hour".
    var bursts: [Duration] = []
    /// Keep-alive bursts started since the engine started (for `/metrics`).
    var burstsTotal = 0

    var isActive: Bool { available && (bluetooth == nil || connected) && sinkPresent }

    /// An ALSA output, or a sink output whose sink the server reports.
    var sinkPresent: Bool {
        guard isSinkOutput else { return true }
        return sink == .idle || sink == .playing
    }

    /// A sink output whose audio server cannot be reached.
    var sinkUnavailable: Bool {
        if case .serverUnavailable = sink { return true }
        return false
    }

    /// Another program plays into the output's sink.
    var othersPlaying: Bool { sink == .playing }

    /// Why a sink output cannot play (for status), nil when it can.
    var sinkReason: String? {
        switch sink {
        case .serverUnavailable(let reason): reason
        case .missing: "the audio server has no such sink (is the device connected?)"
        case nil where isSinkOutput: "waiting for the audio server"
        default: nil
        }
    }
}

/// Idle clocks of all outputs and the `idle` triggers that watch them (SPEC §3, §5). Pure state: the
/// engine keeps one monotonic timer per output, armed for `nextDeadline(of:)`.
///
/// An idle trigger is due at `max(clockStart, rearmedAt) + for` while its output is active, no play
/// call is in progress on it, no other program plays into its sink, and no run of it is going on.
/// Every frame written moves `clockStart`, and so does another program's audio ending.
struct IdleClocks {
    private(set) var outputs: [String: OutputClock] = [:]
    private var triggers: [IdleTriggerKey: IdleTrigger] = [:]
    private var byOutput: [String: Set<IdleTriggerKey>] = [:]
    private var byRoutine: [String: [IdleTriggerKey]] = [:]

    init(outputs config: [String: OutputConfig] = [:]) {
        for (name, output) in config {
            outputs[name] = OutputClock(bluetooth: output.bluetooth?.uppercased(), isSinkOutput: output.sink != nil)
        }
    }

    /// The state-store key of an output's last audio (`audio:NAME`; `:` is not allowed in routine names).
    static func storeKey(_ output: String) -> String { "audio:\(output)" }

    var outputNames: [String] { outputs.keys.sorted() }

    func outputNames(of routine: String) -> [String] {
        Array(Set((byRoutine[routine] ?? []).compactMap { triggers[$0]?.output })).sorted()
    }

    func outputs(withBluetooth address: String) -> [String] {
        outputs.filter { $0.value.bluetooth == address }.map(\.key).sorted()
    }

    func isActive(_ output: String) -> Bool { outputs[output]?.isActive ?? false }

    // MARK: Triggers

    /// Replaces a routine's idle triggers; a trigger kept across a reload keeps its state, so a reload
    /// never postpones a due keep-alive.
    mutating func setTriggers(of routine: String, from value: Routine, at now: Duration) {
        let old = removeTriggers(of: routine)
        guard value.enabled else { return }
        for (index, trigger) in value.triggers.enumerated() {
            guard case .idle(let output, let duration) = trigger.kind else { continue }
            let key = IdleTriggerKey(routine: routine, index: index)
            var state = IdleTrigger(key: key, output: output, duration: duration)
            if let previous = old[key], previous.output == output {
                state.rearmedAt = previous.rearmedAt
                state.inFlightRun = previous.inFlightRun
            }
            triggers[key] = state
            byOutput[output, default: []].insert(key)
            byRoutine[routine, default: []].append(key)
        }
    }

    @discardableResult
    mutating func removeTriggers(of routine: String) -> [IdleTriggerKey: IdleTrigger] {
        var removed: [IdleTriggerKey: IdleTrigger] = [:]
        for key in byRoutine.removeValue(forKey: routine) ?? [] {
            if let state = triggers.removeValue(forKey: key) {
                removed[key] = state
                byOutput[state.output]?.remove(key)
            }
        }
        return removed
    }

    func trigger(_ key: IdleTriggerKey) -> IdleTrigger? { triggers[key] }

    /// Runs started by idle triggers of an output and still going on.
    func inFlightRuns(of output: String) -> [Int] {
        (byOutput[output] ?? []).compactMap { triggers[$0]?.inFlightRun }.sorted()
    }

    // MARK: Activity

    mutating func setPersistedLastWrite(_ output: String, _ instant: Duration) {
        outputs[output]?.persistedLastWrite = instant
        outputs[output]?.lastWrite = instant
    }

    /// At engine start, outputs that are active without a report (no Bluetooth address) start their
    /// clock from the persisted last audio (conservative after a restart), else from now.
    mutating func startClocks(at now: Duration) {
        for name in outputs.keys where outputs[name]!.isActive {
            outputs[name]!.clockStart = outputs[name]!.persistedLastWrite ?? now
            outputs[name]!.reported = true
        }
    }

    /// Records a connection change; returns whether activity changed.
    mutating func setConnected(_ output: String, _ connected: Bool, at now: Duration) -> Bool {
        guard var clock = outputs[output] else { return false }
        let before = clock.isActive
        clock.connected = connected
        return commit(output, clock, wasActive: before, at: now)
    }

    /// Records whether the output's PCM opens; returns whether activity changed.
    mutating func setAvailable(_ output: String, _ available: Bool, at now: Duration) -> Bool {
        guard var clock = outputs[output] else { return false }
        let before = clock.isActive
        clock.available = available
        return commit(output, clock, wasActive: before, at: now)
    }

    /// Records what the audio server says about a sink output's sink; returns whether anything
    /// changed. Another program's audio ending restarts the idle clock, as a frame written would.
    mutating func setSinkState(_ output: String, _ state: SinkState, at now: Duration) -> Bool {
        guard var clock = outputs[output], clock.isSinkOutput, clock.sink != state else { return false }
        let before = clock.isActive
        let wasPlaying = clock.othersPlaying
        clock.sink = state
        if clock.isActive == before {
            outputs[output] = clock
            if wasPlaying != clock.othersPlaying { written(output, at: now) }
            return true
        }
        _ = commit(output, clock, wasActive: before, at: now)
        return true
    }

    private mutating func commit(_ output: String, _ new: OutputClock, wasActive: Bool, at now: Duration) -> Bool {
        var clock = new
        let firstReport = !clock.reported
        clock.reported = true
        defer { outputs[output] = clock }
        guard clock.isActive != wasActive else { return false }
        if clock.isActive {
            // The first report after a restart: the device may have been connected all along, so the
            // persisted last audio is the safe start. Later activations start the clock now.
            clock.clockStart = firstReport ? min(clock.persistedLastWrite ?? now, now) : now
        } else {
            clock.clockStart = nil
        }
        return true
    }

    // MARK: Audio

    /// A play call starts on `output`.
    mutating func playStarted(_ output: String, keepAlive: Bool, at now: Duration) {
        outputs[output]?.playing += 1
    }

    /// A play call ended; `wrote`: frames reached the device (not an open failure, not a job
    /// cancelled before its first block). Only a keep-alive burst that wrote counts as a burst.
    mutating func playEnded(_ output: String, wrote: Bool, keepAlive: Bool = false, at now: Duration) {
        outputs[output]?.playing -= 1
        guard wrote else { return }
        written(output, at: now)
        if keepAlive {
            outputs[output]?.burstsTotal += 1
            outputs[output]?.bursts.append(now)
            outputs[output]?.bursts.removeAll { now - $0 > .seconds(3600) }
        }
    }

    /// Frames were written to `output` up to `now`.
    mutating func written(_ output: String, at now: Duration) {
        guard var clock = outputs[output] else { return }
        clock.lastWrite = max(clock.lastWrite ?? now, now)
        if clock.isActive { clock.clockStart = max(clock.clockStart ?? now, now) }
        outputs[output] = clock
    }

    // MARK: Deadlines

    /// When a trigger is due, or nil when it cannot fire now.
    func deadline(_ key: IdleTriggerKey) -> Duration? {
        guard let trigger = triggers[key], trigger.inFlightRun == nil, !trigger.firing,
            let clock = outputs[trigger.output], clock.isActive, clock.playing == 0, !clock.othersPlaying,
            let start = clock.clockStart
        else { return nil }
        return max(start, trigger.rearmedAt ?? start) + trigger.duration
    }

    /// The earliest idle deadline of an output.
    func nextDeadline(of output: String) -> Duration? {
        (byOutput[output] ?? []).compactMap { deadline($0) }.min()
    }

    /// Triggers of an output due at `now`.
    func due(_ output: String, at now: Duration) -> [IdleTriggerKey] {
        (byOutput[output] ?? []).filter { (deadline($0).map { $0 <= now }) ?? false }.sorted()
    }

    mutating func setFiring(_ key: IdleTriggerKey, _ firing: Bool) { triggers[key]?.firing = firing }

    mutating func setInFlight(_ key: IdleTriggerKey, run: Int) { triggers[key]?.inFlightRun = run }

    /// The trigger counts again from `now` (its run ended, or its fire was refused).
    mutating func rearm(_ key: IdleTriggerKey, at now: Duration) {
        triggers[key]?.inFlightRun = nil
        triggers[key]?.firing = false
        triggers[key]?.rearmedAt = now
    }

    func burstsInLastHour(_ output: String, at now: Duration) -> Int {
        (outputs[output]?.bursts ?? []).filter { now - $0 <= .seconds(3600) }.count
    }
}

/// The single monotonic timer of one output.
struct IdleTimer {
    var id: Int
    var deadline: Duration
    var task: Task<Void, Never>
}

extension Engine {
    /// The audio layer reports frames written to `output` (any audio, keep-alive included); moves the
    /// output's idle clock. Cheap: the timer is not re-created, it re-checks when it wakes.
    public func audioWritten(output: String) {
        idle.written(output, at: mono.now)
    }

    /// Arms (or moves earlier, or cancels) the output's idle timer.
    func rearmIdleTimer(_ output: String) {
        guard started, !stopping else { return }
        guard let deadline = idle.nextDeadline(of: output) else {
            cancelIdleTimer(output)
            return
        }
        // A timer armed earlier wakes, finds the new deadline and sleeps again: no task churn per write.
        if let armed = idleTimers[output], armed.deadline <= deadline { return }
        cancelIdleTimer(output)
        let id = nextTimerID
        nextTimerID += 1
        let mono = self.mono
        let task = Task(executorPreference: taskExecutor) {
            do { try await mono.sleep(until: deadline) } catch { return }
            await self.idleTimerFired(output, id: id)
        }
        idleTimers[output] = IdleTimer(id: id, deadline: deadline, task: task)
    }

    func cancelIdleTimer(_ output: String) {
        idleTimers.removeValue(forKey: output)?.task.cancel()
    }

    private func idleTimerFired(_ output: String, id: Int) {
        guard let timer = idleTimers[output], timer.id == id, !stopping else { return }
        idleTimers[output] = nil
        let now = mono.now
        for key in idle.due(output, at: now) {
            idle.setFiring(key, true)
            switch fire(key.routine, trigger: "idle:\(output)", eventData: ["output": output], idleKey: key) {
            case .success(let run): idle.setInFlight(key, run: run)
            case .failure: idle.rearm(key, at: now)
            }
            idle.setFiring(key, false)
        }
        rearmIdleTimer(output)
    }

    /// An idle-triggered run ended: its trigger counts again from now.
    func idleRunEnded(_ key: IdleTriggerKey) {
        guard let trigger = idle.trigger(key) else { return }
        idle.rearm(key, at: mono.now)
        rearmIdleTimer(trigger.output)
        env.changes(.output(trigger.output))
    }
}
