/// The replies of the control API (docs/api.md, docs/openapi.yaml). The daemon writes them, the
/// `routines` command reads them; times are ISO 8601 with the UTC offset of the configured zone.
/// Fields marked `@Nullable` are written as `null` when absent.

/// `{"error": "what is wrong and what to do"}`, with every status from 400 up.
public struct ErrorReply: Codable, Sendable, Equatable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// Headphone mode: all implicit audio on the headphone output, or not.
public enum HeadphoneMode: String, Codable, Sendable, Equatable {
    case on, off

    public init(_ on: Bool) { self = on ? .on : .off }
}

/// `GET /status`.
public struct StatusReply: Codable, Sendable, Equatable {
    public var version: String
    public var headphoneMode: HeadphoneMode
    public var routines: RoutineCounts
    public var outputs: [OutputReply]
    public var running: [RunningReply]
    /// The next 5 fires of all routines.
    public var next: [FireReply]

    public init(
        version: String, headphoneMode: HeadphoneMode, routines: RoutineCounts, outputs: [OutputReply],
        running: [RunningReply], next: [FireReply]
    ) {
        self.version = version
        self.headphoneMode = headphoneMode
        self.routines = routines
        self.outputs = outputs
        self.running = running
        self.next = next
    }
}

/// How many routines are loaded, and the files that do not validate.
public struct RoutineCounts: Codable, Sendable, Equatable {
    public var loaded: Int
    public var invalid: [InvalidFile]

    public init(loaded: Int, invalid: [InvalidFile]) {
        self.loaded = loaded
        self.invalid = invalid
    }
}

/// A routine file with errors, and each problem as `routines validate` prints it.
public struct InvalidFile: Codable, Sendable, Equatable {
    public var file: String
    public var problems: [String]

    public init(file: String, problems: [String]) {
        self.file = file
        self.problems = problems
    }
}

/// A run in progress.
public struct RunningReply: Codable, Sendable, Equatable {
    public var routine: String
    public var run: Int
    public var trigger: String
    @Nullable public var startedAt: String?

    public init(routine: String, run: Int, trigger: String, startedAt: String?) {
        self.routine = routine
        self.run = run
        self.trigger = trigger
        self.startedAt = startedAt
    }
}

/// One upcoming fire (`GET /next`, `next` of `/status` and `/routines/{name}`).
public struct FireReply: Codable, Sendable, Equatable {
    public var routine: String
    /// The trigger's id or index in its routine.
    public var trigger: String
    public var time: String

    public init(routine: String, trigger: String, time: String) {
        self.routine = routine
        self.trigger = trigger
        self.time = time
    }
}

/// One routine of `GET /routines` (and `GET /routines/{name}`, with `next`).
public struct RoutineReply: Codable, Sendable, Equatable {
    public var name: String
    @Nullable public var description: String?
    public var enabled: Bool
    /// `file` or `state` (`routines enable`/`disable`); absent for a file that never validated.
    public var enabledBy: String?
    public var valid: Bool
    public var problems: [String]
    @Nullable public var lastRun: LastRunReply?
    @Nullable public var nextFire: String?
    public var running: Int
    public var queued: Int
    /// `GET /routines/{name}` only: its next 5 fires.
    public var next: [FireReply]?

    public init(
        name: String, description: String?, enabled: Bool, enabledBy: String?, valid: Bool, problems: [String],
        lastRun: LastRunReply?, nextFire: String?, running: Int, queued: Int, next: [FireReply]? = nil
    ) {
        self.name = name
        self.description = description
        self.enabled = enabled
        self.enabledBy = enabledBy
        self.valid = valid
        self.problems = problems
        self.lastRun = lastRun
        self.nextFire = nextFire
        self.running = running
        self.queued = queued
        self.next = next
    }
}

/// The last run of a routine, from the history.
public struct LastRunReply: Codable, Sendable, Equatable {
    public var startedAt: String
    public var outcome: String

    public init(startedAt: String, outcome: String) {
        self.startedAt = startedAt
        self.outcome = outcome
    }
}

/// `GET /routines/{name}` of a routine whose file never validated: its problems.
public struct InvalidRoutineReply: Codable, Sendable, Equatable {
    public var name: String
    public var valid: Bool
    public var problems: [String]
    public var enabled: Bool

    public init(name: String, problems: [String]) {
        self.name = name
        valid = false
        self.problems = problems
        enabled = false
    }
}

/// `GET /routines/{name}`: the routine, or the problems of a file that never validated.
public enum RoutineDetailReply: Codable, Sendable, Equatable {
    case routine(RoutineReply)
    case invalid(InvalidRoutineReply)

    public init(from decoder: any Decoder) throws {
        if let routine = try? RoutineReply(from: decoder) {
            self = .routine(routine)
        } else {
            self = .invalid(try InvalidRoutineReply(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .routine(let routine): try routine.encode(to: encoder)
        case .invalid(let invalid): try invalid.encode(to: encoder)
        }
    }
}

/// `POST /routines/{name}/trigger`: `started` (202) once the run's history row is committed, or with
/// `wait` the outcome (200) and its error (`null` on success).
public struct TriggerReply: Codable, Sendable, Equatable {
    public var routine: String
    public var run: Int
    /// `started`, or how the run ended.
    public var outcome: String
    public var error: String?

    public init(routine: String, run: Int, outcome: String, error: String? = nil) {
        self.routine = routine
        self.run = run
        self.outcome = outcome
        self.error = error
    }

    /// Whether the run was only started (not waited for).
    public var started: Bool { outcome == "started" }

    enum CodingKeys: String, CodingKey { case routine, run, outcome, error }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(routine, forKey: .routine)
        try container.encode(run, forKey: .run)
        try container.encode(outcome, forKey: .outcome)
        // A finished run always says its error, null included; a started one has none yet.
        if !started { try container.encode(error, forKey: .error) }
    }
}

/// `POST /routines/{name}/stop` (and each routine of `POST /stop`).
public struct StopReply: Codable, Sendable, Equatable {
    public var routine: String
    /// Run ids that were running and are now stopped (`cancelled`).
    public var stopped: [Int]
    /// Queued run ids dropped before they started.
    public var dropped: [Int]
    public var wasRunning: Bool

    public init(routine: String, stopped: [Int], dropped: [Int]) {
        self.routine = routine
        self.stopped = stopped
        self.dropped = dropped
        wasRunning = !stopped.isEmpty || !dropped.isEmpty
    }
}

/// `POST /routines/{name}/enable` and `…/disable`.
public struct EnabledReply: Codable, Sendable, Equatable {
    public var routine: String
    public var enabled: Bool
    public var enabledBy: String

    public init(routine: String, enabled: Bool, enabledBy: String) {
        self.routine = routine
        self.enabled = enabled
        self.enabledBy = enabledBy
    }
}

/// `POST /events/{name}`: the event, its data as the routines see it, how many routines started.
public struct EventReply: Codable, Sendable, Equatable {
    public var event: String
    public var data: [String: String]
    public var started: Int

    public init(event: String, data: [String: String], started: Int) {
        self.event = event
        self.data = data
        self.started = started
    }
}

/// `GET /headphones`, `PUT /headphones`.
public struct HeadphonesReply: Codable, Sendable, Equatable {
    public var mode: HeadphoneMode

    public init(mode: HeadphoneMode) { self.mode = mode }
}

/// One run of `GET /history`, with its steps.
public struct RunReply: Codable, Sendable, Equatable {
    @Nullable public var id: Int64?
    public var routine: String
    public var trigger: String
    public var startedAt: String
    @Nullable public var endedAt: String?
    /// `queued`, `running`, then `success`, `failed`, `cancelled`, `interrupted` or `skipped`.
    public var outcome: String
    @Nullable public var error: String?
    public var steps: [StepReply]

    public init(
        id: Int64?, routine: String, trigger: String, startedAt: String, endedAt: String?, outcome: String,
        error: String?, steps: [StepReply]
    ) {
        self.id = id
        self.routine = routine
        self.trigger = trigger
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.error = error
        self.steps = steps
    }
}

/// One action of a run.
public struct StepReply: Codable, Sendable, Equatable {
    public var index: Int
    public var kind: String
    public var startedAt: String
    @Nullable public var endedAt: String?
    @Nullable public var error: String?
    /// What went differently without failing (an announcement spoken by espeak-ng instead).
    @Nullable public var note: String?

    public init(index: Int, kind: String, startedAt: String, endedAt: String?, error: String?, note: String?) {
        self.index = index
        self.kind = kind
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.error = error
        self.note = note
    }
}

/// One output of `GET /outputs` and `/status`.
public struct OutputReply: Codable, Sendable, Equatable {
    public var name: String
    /// The ALSA PCM (null for a sink output).
    @Nullable public var pcm: String?
    /// The PipeWire/PulseAudio sink (null for a PCM output).
    @Nullable public var sink: String?
    @Nullable public var bluetooth: String?
    @Nullable public var sinkProblem: String?
    /// A sink output: another program plays into its sink (null for a PCM output).
    @Nullable public var otherAudio: Bool?
    public var active: Bool
    /// `active`, `inactive` or `unavailable`.
    public var state: String
    @Nullable public var reason: String?
    @Nullable public var nextRetry: String?
    @Nullable public var lastAudio: String?
    @Nullable public var nextKeepAlive: String?
    public var burstsLastHour: Int
    /// `GET /outputs` only (it test-opens each PCM): whether it opened.
    @Nullable public var opens: Bool?
    /// The error of the test open.
    @Nullable public var error: String?
    /// The PCMs ALSA knows, when a PCM did not open.
    @Nullable public var hint: String?
    public var `default`: Bool
    public var headphone: Bool

    public init(
        name: String, pcm: String?, sink: String?, bluetooth: String?, sinkProblem: String?, otherAudio: Bool?,
        active: Bool, state: String, reason: String?, nextRetry: String?, lastAudio: String?, nextKeepAlive: String?,
        burstsLastHour: Int, opens: Bool?, error: String?, hint: String?, isDefault: Bool, headphone: Bool
    ) {
        self.name = name
        self.pcm = pcm
        self.sink = sink
        self.bluetooth = bluetooth
        self.sinkProblem = sinkProblem
        self.otherAudio = otherAudio
        self.active = active
        self.state = state
        self.reason = reason
        self.nextRetry = nextRetry
        self.lastAudio = lastAudio
        self.nextKeepAlive = nextKeepAlive
        self.burstsLastHour = burstsLastHour
        self.opens = opens
        self.error = error
        self.hint = hint
        self.default = isDefault
        self.headphone = headphone
    }
}

/// `POST /say`: the output it was spoken on.
public struct SayReply: Codable, Sendable, Equatable {
    public var output: String

    public init(output: String) { self.output = output }
}
