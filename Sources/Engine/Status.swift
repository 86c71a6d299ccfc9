import FoundationEssentials
import RoutineModel

/// A snapshot for `routines status`, `routines list`, `routines outputs` and `/metrics`.
public struct EngineStatus: Sendable, Equatable, Codable {
    /// Whether implicit audio goes to the headphone output.
    public var headphoneMode: Bool
    /// Every configured output, by name.
    public var outputs: [OutputStatus]
    /// Every loaded routine, by name.
    public var routines: [RoutineStatus]
    /// Runs in progress, oldest first.
    public var running: [RunningRun]
}

/// One output's activity and idle clock.
public struct OutputStatus: Sendable, Equatable, Codable {
    /// The output's name in the config.
    public var name: String
    /// No Bluetooth address, or its device connected, and its PCM opens (or its sink exists).
    public var active: Bool
    /// `active`; `inactive` (its Bluetooth device is not connected); `unavailable` (its PCM did not
    /// open: `reason` says why, `nextRetry` when it is tried again).
    public var state: OutputState
    /// Why the output is unavailable (the audio library's error, or the audio server unreachable),
    /// or why a sink output is inactive (its sink does not exist), when known.
    public var reason: String?
    /// When an unavailable output is tried again (also at once when its Bluetooth device connects).
    public var nextRetry: Date?
    /// A sink output: why it cannot play now (server unreachable, no such sink), else nil.
    public var sinkProblem: String?
    /// A sink output: another program plays into its sink now.
    public var otherAudio: Bool
    /// Wall-clock instant of the last frame written, when known.
    public var lastAudio: Date?
    /// When the earliest idle trigger of this output fires, if armed.
    public var nextIdleFire: Date?
    /// Keep-alive bursts started in the last hour.
    public var burstsLastHour: Int
    /// Keep-alive bursts started since the daemon started (a Prometheus counter).
    public var burstsTotal: Int
}

/// What an output can do now.
public enum OutputState: String, Sendable, Equatable, Codable {
    case active, inactive, unavailable
}

/// One routine's schedule state.
public struct RoutineStatus: Sendable, Equatable, Codable {
    /// The routine's name.
    public var name: String
    /// Whether its triggers start it.
    public var enabled: Bool
    /// Who decides `enabled`: its file, or `routines enable`/`disable` (the state database).
    public var enabledBy: EnabledSource
    /// When its last run started (in this daemon's life).
    public var lastRun: Date?
    /// How its last finished run ended (in this daemon's life).
    public var lastOutcome: RunOutcome?
    /// Its next wall-clock fire.
    public var nextFire: Date?
    /// Runs in progress.
    public var running: Int
    /// Runs waiting (mode `queued`).
    public var queued: Int
}

/// A run in progress.
public struct RunningRun: Sendable, Equatable, Codable {
    /// The run's id (its history row's id).
    public var id: Int
    /// The routine it runs.
    public var routine: String
    /// What started it (`cli`, `api 192.168.1.10`, `event:NAME`, `routine#0`, …).
    public var trigger: String
    /// When it started executing (nil for a run about to start).
    public var startedAt: Date?
}

/// One upcoming wall-clock fire, for `routines next` and `GET /next`.
public struct UpcomingFire: Sendable, Equatable, Codable {
    /// The routine that fires.
    public var routine: String
    /// The trigger's key: `routine#id` or `routine#index`.
    public var trigger: String
    /// When it fires.
    public var time: Date
}

extension Engine {
    /// The next `count` wall-clock fires of one routine (or of all), in time order. `every` and event
    /// triggers have no wall-clock fires and are not listed.
    public func upcomingFires(routine name: String? = nil, count: Int) -> [UpcomingFire] {
        guard count > 0 else { return [] }
        var fires: [UpcomingFire] = []
        for plan in planner.plans.values where name == nil || plan.routine == name {
            var next = plan.next
            var taken = 0
            while let time = next, taken < count {
                fires.append(UpcomingFire(routine: plan.routine, trigger: plan.key, time: time))
                taken += 1
                next = plan.nextFire(time)
            }
        }
        fires.sort { ($0.time, $0.routine, $0.trigger) < ($1.time, $1.routine, $1.trigger) }
        return Array(fires.prefix(count))
    }

    /// The current state, with monotonic instants turned into wall-clock ones.
    public func status() -> EngineStatus {
        let wallNow = env.wallClock.now()
        let monoNow = mono.now
        func wall(_ instant: Duration?) -> Date? {
            instant.map { wallNow.addingTimeInterval(($0 - monoNow).seconds) }
        }
        let outputs = idle.outputNames.map { name in
            let clock = idle.outputs[name]
            let state: OutputState =
                clock?.available == false || unavailable[name] != nil || clock?.sinkUnavailable == true
                ? .unavailable : (idle.isActive(name) ? .active : .inactive)
            return OutputStatus(
                name: name, active: idle.isActive(name), state: state,
                reason: state == .unavailable ? (unavailable[name]?.reason ?? clock?.sinkReason) : clock?.sinkReason,
                nextRetry: state == .unavailable ? wall(unavailable[name]?.retryAt) : nil,
                sinkProblem: clock?.sinkReason, otherAudio: clock?.othersPlaying ?? false,
                lastAudio: wall(idle.outputs[name]?.lastWrite),
                nextIdleFire: wall(idle.nextDeadline(of: name)),
                burstsLastHour: idle.burstsInLastHour(name, at: monoNow),
                burstsTotal: idle.outputs[name]?.burstsTotal ?? 0)
        }
        let routineStatus = routines.keys.sorted().map { name in
            RoutineStatus(
                name: name, enabled: routines[name]?.enabled ?? false, enabledBy: enabledSource(name),
                lastRun: lastRuns[name],
                lastOutcome: lastOutcomes[name],
                nextFire: planner.nextFire(of: name), running: runs.activeIDs(of: name).count,
                queued: runs.queuedIDs(of: name).count)
        }
        let running = runs.allActive.map {
            RunningRun(id: $0.id, routine: $0.routine.name, trigger: $0.trigger, startedAt: runStarts[$0.id])
        }
        return EngineStatus(headphoneMode: headphoneMode, outputs: outputs, routines: routineStatus, running: running)
    }
}
