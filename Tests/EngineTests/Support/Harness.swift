import Engine
import Foundation
import RoutineModel

/// An engine wired to recording fakes and virtual time.
struct Harness {
    let time: VirtualTime
    let audio: RecordingAudio
    let speech: FakeSpeech
    let store: MemoryStateStore
    let logs: LogRecorder
    let engine: Engine

    static let testConfig = Config(
        outputs: [
            "speakers": OutputConfig(pcm: "default"),
            "headphones": OutputConfig(pcm: "bluealsa", bluetooth: "AA:BB:CC:DD:EE:FF", leadIn: .milliseconds(300)),
        ])

    /// A fresh harness, or a restarted engine sharing `time`, `audio` and `store` with `previous`.
    init(
        config: Config = Harness.testConfig, sharing previous: Harness? = nil, jitterSeed: UInt64 = 1,
        time fresh: VirtualTime? = nil, fireCalculator: any FireCalculator = UTCFireCalculator(),
        localTime: any LocalTimeProvider = UTCLocalTime(), publisher: (any MessagePublisher)? = nil,
        changes: @escaping @Sendable (EngineChange) -> Void = { _ in }
    ) {
        time = previous?.time ?? fresh ?? VirtualTime()
        audio = previous?.audio ?? RecordingAudio(time: time)
        speech = previous?.speech ?? FakeSpeech()
        store = previous?.store ?? MemoryStateStore(time: time)
        logs = LogRecorder()
        let random = SeededRandom(seed: jitterSeed)
        let logs = self.logs
        engine = Engine(
            config: config,
            environment: EngineEnvironment(
                audio: audio, speech: speech, store: store, wallClock: VirtualWallClock(time: time),
                clock: TestClock(time: time), fireCalculator: fireCalculator, localTime: localTime,
                audioFiles: FakeAudioFiles(), dates: EnglishDates(),
                jitter: { bound in .milliseconds(Int64(random.double() * bound.asSeconds * 1000)) },
                log: { logs.record($0) }, executor: time.executor, publisher: publisher, changes: changes))
    }

    /// Applies the routines, starts the engine and lets it settle.
    func start(_ routines: [Routine]) async {
        let engine = self.engine
        await audio.setOnWrite { output in await engine.audioWritten(output: output) }
        for routine in routines { await engine.apply(routine) }
        await engine.start()
        await time.settle()
    }

    func advance(_ duration: Duration) async { await time.advance(by: duration) }

    /// History rows of a routine, oldest first.
    func records(_ routine: String) async -> [RunRecord] { await store.records(routine) }

    func plays(on output: String? = nil) async -> [RecordingAudio.Play] {
        await audio.plays.filter { output == nil || $0.output == output }
    }
}

/// Builders for short test routines.
func routine(
    _ name: String, mode: RunMode = .single, max: Int = 10,
    triggers: [Trigger] = [Trigger(kind: .event(name: "go", match: [:]))],
    conditions: [Condition] = [], _ actions: [ActionKind], continueOnError: Bool = false
) -> Routine {
    Routine(
        name: name, mode: mode, max: max, triggers: triggers, conditions: conditions,
        actions: actions.map { Action($0, continueOnError: continueOnError) })
}

func tone(_ seconds: Int = 1, output: String? = nil) -> ActionKind {
    .tone(ToneSpec(duration: .seconds(seconds), output: output))
}

func date(_ iso: String) -> Date {
    // yyyy-MM-ddTHH:mm:ssZ, UTC
    let f = ISO8601DateFormatter()
    return f.date(from: iso)!
}
