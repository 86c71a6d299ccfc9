import Engine
import Foundation
import RoutineModel
import Synchronization

/// Records every play call; one player per output (calls on an output are serialized, announcements go
/// ahead of queued keep-alive bursts, as the real players do); each call lasts its audio's duration on
/// virtual time.
actor RecordingAudio: AudioOutput {
    struct Play: Sendable {
        var output: String
        var items: [AudioItem]
        var priority: AudioPriority
        var start: Duration
        var end: Duration?
        var interrupted = false
    }

    let time: VirtualTime
    private(set) var plays: [Play] = []
    private(set) var volumes: [(output: String, level: Int)] = []
    /// Outputs whose PCM "cannot be opened".
    var failing: Set<String> = []
    /// How long a file plays.
    var fileDuration: Duration = .seconds(1)
    /// Called with the output when frames start and stop going out (the engine's `audioWritten`).
    private var onWrite: (@Sendable (String) async -> Void)?

    private var busy: Set<String> = []
    private var waiting: [String: [(priority: AudioPriority, seq: Int, c: CheckedContinuation<Void, any Error>)]] = [:]
    private var seq = 0

    init(time: VirtualTime) { self.time = time }
    nonisolated var unownedExecutor: UnownedSerialExecutor { time.executor.asUnownedSerialExecutor() }

    func setFailing(_ outputs: Set<String>) { failing = outputs }
    func setFileDuration(_ d: Duration) { fileDuration = d }
    func setOnWrite(_ f: (@Sendable (String) async -> Void)?) { onWrite = f }

    func play(_ items: [AudioItem], on output: String, priority: AudioPriority) async throws {
        time.bump()
        if failing.contains(output) { throw EngineError("output \(output): cannot open PCM \"\(output)\"") }
        // Speech streams are consumed as the real player does (the fake's streams are already finished).
        let items = try items.map { item -> AudioItem in
            guard case .speech(let stream) = item else { return item }
            return .samples(try stream.collect() ?? PCMSamples(samples: [], sampleRate: 22050))
        }
        try await acquire(output, priority)
        defer { release(output) }
        let index = plays.count
        plays.append(Play(output: output, items: items, priority: priority, start: time.monoNow))
        await onWrite?(output)
        do {
            _ = try await time.sleep(.mono(time.monoNow + duration(of: items)))
        } catch {
            plays[index].end = time.monoNow
            plays[index].interrupted = true
            throw error
        }
        plays[index].end = time.monoNow
        await onWrite?(output)
    }

    func setVolume(_ level: Int, on output: String) async throws {
        time.bump()
        volumes.append((output, level))
    }

    func duration(of items: [AudioItem]) -> Duration {
        items.reduce(Duration.zero) { sum, item in
            switch item {
            case .file: return sum + fileDuration
            case .tone(let t): return sum + t.duration
            case .keepAlive(let k): return sum + k.duration
            case .silence(let d): return sum + d
            case .samples(let s): return sum + .milliseconds(Int64(s.samples.count * 1000 / max(1, s.sampleRate)))
            case .speech: return sum
            }
        }
    }

    private func acquire(_ output: String, _ priority: AudioPriority) async throws {
        if !busy.contains(output) && (waiting[output] ?? []).isEmpty {
            busy.insert(output)
            return
        }
        seq += 1
        let id = seq
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                waiting[output, default: []].append((priority, id, c))
            }
        } onCancel: {
            Task { await self.cancelWaiter(output, id) }
        }
    }

    private func cancelWaiter(_ output: String, _ id: Int) {
        guard let i = waiting[output]?.firstIndex(where: { $0.seq == id }) else { return }
        waiting[output]!.remove(at: i).c.resume(throwing: CancellationError())
    }

    private func release(_ output: String) {
        time.bump()
        guard var queue = waiting[output], !queue.isEmpty else {
            busy.remove(output)
            return
        }
        let best = queue.indices.max { a, b in
            queue[a].priority != queue[b].priority ? queue[a].priority < queue[b].priority : queue[a].seq > queue[b].seq
        }!
        let next = queue.remove(at: best)
        waiting[output] = queue
        next.c.resume()
    }
}

/// Speech that lasts 10 ms per character at 22050 Hz.
final class FakeSpeech: SpeechSynthesizer {
    let spoken = Mutex<[String]>([])
    /// When set, streams say another engine spoke, for this reason (as the engine router does).
    let fallback = Mutex<String?>(nil)
    func synthesize(_ text: String, voice: String, rate: Int) async throws -> PCMSamples {
        spoken.withLock { $0.append(text) }
        return PCMSamples(samples: [Int16](repeating: 0, count: text.count * 220), sampleRate: 22050)
    }
    func stream(_ text: String, voice: String, rate: Int) async throws -> SpeechStream {
        let stream = SpeechStream.finished(try await synthesize(text, voice: voice, rate: rate))
        if let reason = fallback.withLock({ $0 }) { stream.noteFallback(reason) }
        return stream
    }
    var texts: [String] { spoken.withLock { $0 } }
}

/// State in memory; survives an engine restart when shared.
actor MemoryStateStore: StateStore {
    let time: VirtualTime?
    var mode = false
    var marks: [String: Date] = [:]
    var runs: [Int64: RunRecord] = [:]
    var nextID: Int64 = 1

    private let executor: SerialTestExecutor
    init(time: VirtualTime) {
        self.time = time
        executor = time.executor
    }
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    func headphoneMode() async throws -> Bool { mode }
    func setHeadphoneMode(_ on: Bool) async throws {
        time?.bump()
        mode = on
    }
    func lastFire(_ key: String) async throws -> Date? { marks[key] }
    func setLastFire(_ key: String, _ instant: Date) async throws {
        time?.bump()
        marks[key] = instant
    }
    func saveRun(_ record: RunRecord) async throws -> Int64 {
        time?.bump()
        var record = record
        if record.id == nil {
            record.id = nextID
        }
        nextID = max(nextID, record.id! + 1)
        runs[record.id!] = record
        return record.id!
    }
    func history(routine: String?, limit: Int) async throws -> [RunRecord] {
        Array(runs.values.filter { routine == nil || $0.routine == routine }.sorted { $0.id! > $1.id! }.prefix(limit))
    }
    func closeDanglingRuns(at instant: Date) async throws {
        for (id, run) in runs where run.outcome == "running" || run.outcome == "queued" {
            runs[id]!.outcome = "interrupted"
            runs[id]!.endedAt = instant
        }
    }
    var overrides: [String: Bool] = [:]
    func enabledOverrides() async throws -> [String: Bool] { overrides }
    func setEnabledOverride(_ routine: String, _ enabled: Bool?) async throws {
        time?.bump()
        overrides[routine] = enabled
    }
    /// Oldest first.
    func records(_ routine: String? = nil) -> [RunRecord] {
        runs.values.filter { routine == nil || $0.routine == routine }.sorted { $0.id! < $1.id! }
    }
}

/// Wall-clock fires in UTC: `at` daily (honouring `days`), `cron` every minute on the minute
/// (a stand-in: cron math is the Schedule module's job and tested there).
struct UTCFireCalculator: FireCalculator {
    func prepare(_ trigger: Trigger) throws -> @Sendable (Date) -> Date? {
        switch trigger.kind {
        case .at(let time, let days):
            return { after in
                let t = after.timeIntervalSince1970
                var day = (t / 86400).rounded(.down)
                for _ in 0..<8 {
                    let fire = day * 86400 + Double(time.secondsOfDay)
                    let weekday = Weekday(rawValue: (Int(day) + 4) % 7)!
                    if fire > t, days?.contains(weekday) ?? true { return Date(timeIntervalSince1970: fire) }
                    day += 1
                }
                return nil
            }
        case .cron:
            return { after in
                Date(timeIntervalSince1970: ((after.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
            }
        default:
            throw EngineError("sun triggers need a location")
        }
    }
}

/// Local time in UTC.
struct UTCLocalTime: LocalTimeProvider {
    func localTime(_ instant: Date) -> LocalDateTime {
        let t = Int(instant.timeIntervalSince1970.rounded(.down))
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Civil from days (Howard Hinnant).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return LocalDateTime(
            year: y, month: m, day: d, hour: secs / 3600, minute: secs % 3600 / 60, second: secs % 60,
            weekday: Weekday(rawValue: ((days % 7) + 11) % 7)!)
    }
}

/// Files "open" as `/audio/NAME` (no descriptor: the fake player never decodes); names leaving the
/// folder fail.
struct FakeAudioFiles: AudioFileLocator {
    func open(_ name: String) throws -> OpenedSoundFile {
        if name.contains("..") || name.hasPrefix("/") { throw EngineError("\(name): leaves the audio folders") }
        if name.hasPrefix("missing") { throw EngineError("\(name): no such file in the audio folders") }
        return OpenedSoundFile(path: "/audio/\(name)", descriptor: -1)
    }
}

/// English times, dates and weekdays whatever the voice: the engine's templates tested without
/// Speech's tables (those, one per language, are tested in SpeechTests' `SpokenDatesTests`).
struct EnglishDates: DateSpeaker {
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    func time(_ local: LocalDateTime, clock: ClockStyle, voice: String) -> String {
        let minute = local.minute < 10 ? "0\(local.minute)" : "\(local.minute)"
        switch clock {
        case .h24: return "\(local.hour < 10 ? "0" : "")\(local.hour):\(minute)"
        case .h12: return "\(local.hour % 12 == 0 ? 12 : local.hour % 12):\(minute) \(local.hour < 12 ? "AM" : "PM")"
        }
    }

    func date(_ local: LocalDateTime, voice: String) -> String {
        "\(Self.months[local.month - 1]) \(local.day), \(local.year)"
    }

    func weekday(_ day: Weekday, voice: String) -> String { Self.weekdays[day.rawValue] }
}

/// Collects log lines.
final class LogRecorder: Sendable {
    let entries = Mutex<[EngineLogEntry]>([])
    func record(_ e: EngineLogEntry) { entries.withLock { $0.append(e) } }
    func contains(_ text: String) -> Bool { entries.withLock { $0.contains { $0.message.contains(text) } } }
    var all: [EngineLogEntry] { entries.withLock { $0 } }
}

/// Seeded SplitMix64, shared safely.
final class SeededRandom: Sendable {
    let state: Mutex<UInt64>
    init(seed: UInt64) { state = Mutex(seed) }
    func next() -> UInt64 {
        state.withLock { s in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
    /// Uniform in `0..<bound`.
    func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    func double() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
