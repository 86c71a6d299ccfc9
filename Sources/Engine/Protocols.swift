// API CONTRACT: the engine's view of the outside world. One real implementation each lives in
// Audio / Speech / Devices / Daemon; engine tests use recording fakes and virtual clocks.
import FoundationEssentials
import RoutineModel
import Synchronization

/// A piece of audio to play on one output.
public enum AudioItem: Sendable, Equatable {
    /// A file opened inside the audio folders (decoded from that descriptor), with gain in dB.
    case file(OpenedSoundFile, gain: Double)
    case tone(ToneSpec)
    case keepAlive(KeepAliveSpec)
    case silence(Duration)
    /// Already-synthesized mono 16-bit samples (speech).
    case samples(PCMSamples)
    /// Speech still being synthesized: played chunk by chunk as the synthesizer delivers them.
    case speech(SpeechStream)
}

/// Mono or interleaved 16-bit PCM with its format.
public struct PCMSamples: Sendable, Equatable {
    public var samples: [Int16]
    public var sampleRate: Int
    public var channels: Int
    public init(samples: [Int16], sampleRate: Int, channels: Int = 1) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
    }
}

/// Queue priority on one output: announcements go ahead of queued keep-alive bursts.
public enum AudioPriority: Int, Sendable, Comparable {
    /// Keep-alive bursts: never start while other audio plays, wait behind everything else.
    case keepAlive = 0
    case normal = 1
    case announcement = 2
    public static func < (lhs: AudioPriority, rhs: AudioPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Plays audio on named outputs. One player per output; items on an output are serialized.
public protocol AudioOutput: Sendable {
    /// Plays `items` back to back on `output` (nothing else interleaves) and returns when the last
    /// frame was written. Throws a user-facing error naming the output and PCM when it cannot open.
    func play(_ items: [AudioItem], on output: String, priority: AudioPriority) async throws
    /// Sets the output's mixer control (0–100).
    func setVolume(_ level: Int, on output: String) async throws
}

/// What an `AudioOutput` throws when the task awaiting a play was cancelled: a queued job is
/// removed at once, a playing one stops within one block. `framesWritten` tells whether any of it
/// reached the device (which moves the idle clock).
public struct PlaybackCancelled: Error, Sendable, Equatable, CustomStringConvertible {
    public var output: String
    public var framesWritten: Int
    public init(output: String, framesWritten: Int) {
        self.output = output
        self.framesWritten = framesWritten
    }
    public var description: String { "the audio on output \(output) was stopped" }
}

/// Synthesizes speech.
public protocol SpeechSynthesizer: Sendable {
    /// The whole utterance, once it is synthesized.
    func synthesize(_ text: String, voice: String, rate: Int) async throws -> PCMSamples
    /// Starts speaking `text` and returns at once: the stream fills while the synthesis runs, so the
    /// first words can play before the last are made. Errors before the first chunk may be thrown
    /// here or end the stream; a fallback to another engine is noted on the stream.
    func stream(_ text: String, voice: String, rate: Int) async throws -> SpeechStream
}

extension SpeechSynthesizer {
    /// For synthesizers that cannot stream: the whole utterance as one chunk.
    public func stream(_ text: String, voice: String, rate: Int) async throws -> SpeechStream {
        .finished(try await synthesize(text, voice: voice, rate: rate))
    }
}

/// Where the wall clock comes from; the real one arms a `CLOCK_REALTIME` timerfd with
/// `TFD_TIMER_CANCEL_ON_SET`, the test one is advanced by hand.
public protocol WallClock: Sendable {
    /// Now, on the wall clock.
    func now() -> Date
    /// Sleeps until the wall clock reaches `deadline`; returns early with `.clockChanged` when the
    /// wall clock jumps (NTP step, resume from suspend), so the caller re-plans. Throws on cancellation.
    func sleep(until deadline: Date) async throws -> WallClockWake
}

/// Why a wall-clock sleep ended.
public enum WallClockWake: Sendable, Equatable {
    case due
    case clockChanged
}

/// One row of run history.
public struct RunRecord: Sendable, Equatable, Codable {
    public var id: Int64?
    public var routine: String
    /// `cli`, `api`, `api ADDRESS` (started by a client), `event:NAME [via SOURCE]`, a trigger index/id, `startup`, `catchUp:…`.
    public var trigger: String
    public var startedAt: Date
    public var endedAt: Date?
    /// `queued` and `running` while it lasts; then one of `RunOutcome`: `success`, `failed`,
    /// `cancelled`, `interrupted`, `skipped`.
    public var outcome: String
    public var error: String?
    /// Each action step: index, kind, start, end, error.
    public var steps: [RunStep]
    public init(
        id: Int64? = nil, routine: String, trigger: String, startedAt: Date, endedAt: Date? = nil,
        outcome: String, error: String? = nil, steps: [RunStep] = []
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

/// One action's timing within a run.
public struct RunStep: Sendable, Equatable, Codable {
    public var index: Int
    public var kind: String
    public var startedAt: Date
    public var endedAt: Date?
    public var error: String?
    /// What went differently without failing the step (an announcement spoken by espeak-ng because
    /// its engine did not answer, and why).
    public var note: String?
    public init(
        index: Int, kind: String, startedAt: Date, endedAt: Date? = nil, error: String? = nil, note: String? = nil
    ) {
        self.index = index
        self.kind = kind
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.error = error
        self.note = note
    }
}

/// Persisted state: headphone mode, catch-up marks, run history. Every write is durable when the
/// call returns (the daemon may be killed at any moment).
public protocol StateStore: Sendable {
    func headphoneMode() async throws -> Bool
    func setHeadphoneMode(_ on: Bool) async throws
    /// The last instant a schedule trigger fired (key: `routine#triggerIndexOrId`).
    func lastFire(_ key: String) async throws -> Date?
    func setLastFire(_ key: String, _ instant: Date) async throws
    /// Inserts or updates a run: the engine gives every run its id (`record.id`, from `maxRunID()`),
    /// so the row of a new run is committed under the id its trigger reply names. Without an id the
    /// store picks one. Returns the id.
    func saveRun(_ record: RunRecord) async throws -> Int64
    /// Newest first; nil routine: all.
    func history(routine: String?, limit: Int) async throws -> [RunRecord]
    /// Marks runs left `running` by a crash as `interrupted` (called at start).
    func closeDanglingRuns(at instant: Date) async throws
    /// The newest run of every routine, by routine name (for `routines list`).
    func lastRuns() async throws -> [String: RunRecord]
    /// The highest run id ever stored (0 when none), so run ids never restart.
    func maxRunID() async throws -> Int64
    /// `routines enable` / `disable` choices by routine name; a routine without one follows its file.
    func enabledOverrides() async throws -> [String: Bool]
    /// Stores (or, with nil, forgets) a routine's enable/disable choice.
    func setEnabledOverride(_ routine: String, _ enabled: Bool?) async throws
}

/// A store that takes run rows without suspending the caller: rows are committed in the order they
/// were handed over (so the rows of one run never overtake each other), and `committed` is called on
/// the store's own thread once the row is, with its id or the error. The engine hands rows to such a
/// store directly instead of starting a task per write (no thread hand-off before the write).
public protocol OrderedRunStore: StateStore {
    func enqueueRun(_ record: RunRecord, committed: @escaping @Sendable (Result<Int64, any Error>) -> Void)
}

extension StateStore {
    /// From the newest history row.
    public func maxRunID() async throws -> Int64 {
        try await history(routine: nil, limit: 1).first?.id ?? 0
    }

    /// Built from `history`; stores with an index answer it in one query instead.
    public func lastRuns() async throws -> [String: RunRecord] {
        var newest: [String: RunRecord] = [:]
        for run in try await history(routine: nil, limit: Int.max) where newest[run.routine] == nil {
            newest[run.routine] = run
        }
        return newest
    }
}

// MARK: - Additions by the engine work (new protocols only; the signatures above are unchanged)

/// Opens a file named in a routine (`chime.wav`, `alarms/soft.ogg`) inside the audio folders. The real
/// one lives with the daemon; it throws a user-facing error for missing files, for paths that would
/// leave the folders and for anything but a regular file. The player decodes the descriptor it returns.
public protocol AudioFileLocator: Sendable {
    func open(_ name: String) throws -> OpenedSoundFile
}

/// Next-fire math for wall-clock triggers, injected so engine tests can use a fake schedule.
public protocol FireCalculator: Sendable {
    /// Prepares a trigger (`at`, `cron`, `sun`); the returned function gives the first fire strictly
    /// after an instant, or nil when there is none. Throws a user-facing error (unknown zone, no location).
    func prepare(_ trigger: Trigger) throws -> @Sendable (Date) -> Date?
}

/// Local calendar fields of an instant, for conditions (`time`, `days`) and templates (`{time}`, …).
public struct LocalDateTime: Sendable, Equatable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    public var weekday: Weekday
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Weekday) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.weekday = weekday
    }
    /// Seconds since local midnight.
    public var secondsOfDay: Int { hour * 3600 + minute * 60 + second }
}

/// Times, dates and weekday names as an announcement's voice says them, for the `{time}` `{date}`
/// `{weekday}` placeholders. The real one (Speech's `SpokenDates`) has a table per language and
/// picks it by the voice's name; engine tests use an English fake.
public protocol DateSpeaker: Sendable {
    /// `07:05` (24h) or `7:05 AM` (12h), in the language of `voice`.
    func time(_ local: LocalDateTime, clock: ClockStyle, voice: String) -> String
    /// The date as the language of `voice` says it (`November 24, 2026`).
    func date(_ local: LocalDateTime, voice: String) -> String
    /// The weekday's name in the language of `voice` (`Tuesday`).
    func weekday(_ day: Weekday, voice: String) -> String
}

/// Turns wall-clock instants into local time in the configured zone.
public protocol LocalTimeProvider: Sendable {
    func localTime(_ instant: Date) -> LocalDateTime
}

/// When a run started, for the trigger-to-first-frame latency metric. The engine sets one per run
/// (a task local); the audio layer claims it for the run's first audio job only, so later actions
/// (which follow earlier audio) do not count.
public final class RunLatencyProbe: Sendable {
    @TaskLocal public static var current: RunLatencyProbe?
    public let start: ContinuousClock.Instant
    private let claimed = Mutex(false)

    public init(start: ContinuousClock.Instant = .now) { self.start = start }

    /// The run's start instant the first time; nil afterwards.
    public func claim() -> ContinuousClock.Instant? {
        claimed.withLock { claimed in
            if claimed { return nil }
            claimed = true
            return start
        }
    }
}

/// Publishes messages for `publish` actions (the MQTT client in the daemon; a recording fake in tests).
public protocol MessagePublisher: Sendable {
    /// Hands a message to the broker connection; throws a user-facing error when it cannot (not
    /// connected, a full queue).
    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) async throws
}

/// Something the engine's state now says differently, for mirrors of that state (MQTT's retained
/// topics). Coalescing is the receiver's business: the engine reports every change.
public enum EngineChange: Sendable, Equatable, Hashable {
    /// Headphone mode switched.
    case headphoneMode
    /// A routine was added, replaced, removed, started, finished, enabled or disabled.
    case routine(String)
    /// An output turned active or inactive, played, or had its next keep-alive moved.
    case output(String)
}
