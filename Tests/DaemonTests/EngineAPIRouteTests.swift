import ControlAPI
import Engine
import Foundation
import Logging
import Prometheus
import RoutineModel
import Schedule
import Speech
import Synchronization
import Testing

@testable import Daemon

/// The route table against the daemon's own operations (`EngineAPI`) over a real engine, routine
/// folder, SQLite store and espeak-ng, in process (no socket): every route, with what only the engine
/// knows (unknown, invalid and disabled routines, headphone mode without a second output).
@Suite(.timeLimit(.minutes(1))) struct EngineAPIRouteTests {
    /// Plays nothing and returns at once: the machine has no sound card (the players are tested with
    /// ALSA's file plugin in AudioTests); it records what it was asked to play.
    final class SilentOutput: AudioOutput {
        let played = Mutex<[String]>([])
        func play(_ items: [AudioItem], on output: String, priority: AudioPriority) async throws {
            played.withLock { $0.append(output) }
        }
        func setVolume(_ level: Int, on output: String) async throws {}
    }

    /// A daemon's parts in a temporary folder, with four routines: `quick` (event `go`), `daily`
    /// (cron), `off` (disabled) and `bad` (invalid).
    struct Parts {
        let folder: String
        let router: APIRouter
        let audio: SilentOutput
        let engine: Engine

        init() async throws {
            folder = NSTemporaryDirectory() + "routines-api-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let routines = folder + "/routines"
            try FileManager.default.createDirectory(atPath: routines, withIntermediateDirectories: true)
            let files = [
                "quick.json": #"{"triggers":[{"event":"go"}],"actions":[{"wait":0}]}"#,
                "daily.json": #"{"triggers":[{"cron":"0 7 * * *"}],"actions":[{"wait":0}]}"#,
                "off.json": #"{"enabled":false,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}"#,
                "bad.json": #"{"triggers":[{"cron":"99 * * * *"}],"actions":[]}"#,
            ]
            for (name, text) in files {
                try text.write(toFile: routines + "/" + name, atomically: true, encoding: .utf8)
            }
            let config = Config(outputs: ["speakers": OutputConfig(pcm: "default")], headphoneOutput: "speakers")
            let zone = try ZoneRules.named("UTC")
            let store = try SQLiteStateStore(folder: folder)
            audio = SilentOutput()
            engine = Engine(
                config: config,
                environment: EngineEnvironment(
                    audio: audio, speech: EspeakSynthesizer(), store: store, wallClock: TimerfdWallClock(),
                    clock: ContinuousClock(),
                    fireCalculator: ScheduleFireCalculator(defaultTimeZone: "UTC", location: nil),
                    localTime: ZoneLocalTimeProvider(zone: zone), audioFiles: AudioFolders(folders: []),
                    dates: SpokenDates()))
            let library = RoutineLibrary(
                folder: routines, config: config, engine: engine, logger: Logger(label: "test"))
            _ = await library.loadAll()
            await engine.start()
            let engine = self.engine
            let registry = PrometheusCollectorRegistry()
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "routines", metricName: "test_marker", unitName: "", helpText: "a test's marker")
            ).set(Int64(7))
            let api = EngineAPI(
                engine: engine, library: library, store: store, config: config, zone: zone, version: "test",
                metrics: registry,
                outputsInfo: { _ in
                    await OutputRows.rows(
                        config: config, status: engine.status(), zone: zone, testOpen: nil, knownPCMs: nil)
                })
            router = APIRouter(operations: api)
        }

        func call(_ method: String, _ target: String, _ body: String = "") async throws -> (Int, [UInt8]) {
            let request = try #require(
                APIRequest(method: method, target: target, body: Array(body.utf8), source: "cli"))
            let response = await router.handle(request)
            return (response.status, response.body)
        }

        func error(_ method: String, _ target: String, _ body: String = "") async throws -> (Int, String) {
            let (status, body) = try await call(method, target, body)
            return (status, try JSONText.decode(ErrorReply.self, from: body).error)
        }

        func close() async {
            await engine.shutdown()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    @Test func everyRouteAgainstTheEngine() async throws {
        let daemon = try await Parts()
        let (statusCode, statusBody) = try await daemon.call("GET", "/status")
        #expect(statusCode == 200)
        let status = try JSONText.decode(StatusReply.self, from: statusBody)
        #expect(status.routines.loaded == 3)
        #expect(status.routines.invalid.map(\.file) == ["bad.json"])
        #expect(status.outputs.map(\.name) == ["speakers"])
        #expect(status.next.first?.routine == "daily")

        let routines = try JSONText.decode([RoutineReply].self, from: try await daemon.call("GET", "/routines").1)
        #expect(routines.map(\.name) == ["bad", "daily", "off", "quick"])
        #expect(routines[0].valid == false && routines[0].enabledBy == nil)
        #expect(routines[2].enabled == false && routines[2].enabledBy == "file")

        let (dailyCode, dailyBody) = try await daemon.call("GET", "/routines/daily")
        #expect(dailyCode == 200)
        guard case .routine(let daily) = try JSONText.decode(RoutineDetailReply.self, from: dailyBody) else {
            Issue.record("daily is a routine")
            return
        }
        #expect(daily.next?.count == 5 && daily.next?.first?.time.contains("T07:00:00") == true)
        guard
            case .invalid(let bad) = try JSONText.decode(
                RoutineDetailReply.self, from: try await daemon.call("GET", "/routines/bad").1)
        else {
            Issue.record("bad is invalid")
            return
        }
        #expect(bad.problems.count >= 1)
        #expect(try await daemon.error("GET", "/routines/nope") == (404, "no routine named 'nope'"))

        let (waitedCode, waitedBody) = try await daemon.call("POST", "/routines/quick/trigger", #"{"wait":true}"#)
        #expect(waitedCode == 200)
        let waited = try JSONText.decode(TriggerReply.self, from: waitedBody)
        #expect(waited.outcome == "success" && waited.error == nil, "\(waited)")
        let (startedCode, startedBody) = try await daemon.call("POST", "/routines/quick/trigger", #"{"data":{"n":1}}"#)
        #expect(startedCode == 202)
        #expect(try JSONText.decode(TriggerReply.self, from: startedBody).run == waited.run + 1)
        #expect(try await daemon.error("POST", "/routines/nope/trigger").0 == 404)
        let invalid = try await daemon.error("POST", "/routines/bad/trigger")
        #expect(invalid.0 == 409 && invalid.1.contains("its file is invalid"))
        let disabled = try await daemon.error("POST", "/routines/off/trigger")
        #expect(disabled.0 == 409 && disabled.1.contains("disabled"))
        #expect(try await daemon.call("POST", "/routines/off/trigger", #"{"force":true,"wait":true}"#).0 == 200)

        let (stopCode, stopBody) = try await daemon.call("POST", "/routines/daily/stop", "{}")
        #expect(stopCode == 200)
        #expect(
            try JSONText.decode(StopReply.self, from: stopBody) == StopReply(routine: "daily", stopped: [], dropped: [])
        )
        #expect(try await daemon.error("POST", "/routines/nope/stop").0 == 404)
        #expect(try await daemon.call("POST", "/stop").0 == 200)

        let (enableCode, enableBody) = try await daemon.call("POST", "/routines/off/enable")
        #expect(enableCode == 200)
        #expect(
            try JSONText.decode(EnabledReply.self, from: enableBody)
                == EnabledReply(routine: "off", enabled: true, enabledBy: "state"))
        #expect(try await daemon.call("POST", "/routines/off/disable").0 == 200)
        #expect(try await daemon.error("POST", "/routines/nope/disable").0 == 404)

        let (eventCode, eventBody) = try await daemon.call("POST", "/events/go", #"{"room":"hall"}"#)
        #expect(eventCode == 202)
        #expect(
            try JSONText.decode(EventReply.self, from: eventBody)
                == EventReply(event: "go", data: ["room": "hall"], started: 1))
        let badEvent = try await daemon.error("POST", "/events/Bad%20Name")
        #expect(badEvent.0 == 400 && badEvent.1.contains("not an event name"))

        #expect(
            try JSONText.decode(HeadphonesReply.self, from: try await daemon.call("GET", "/headphones").1).mode == .off)
        let headphones = try await daemon.error("PUT", "/headphones", #"{"mode":"on"}"#)
        #expect(headphones.0 == 409 && headphones.1.contains("needs a second output"))
        #expect(try await daemon.call("PUT", "/headphones", #"{"mode":"off"}"#).0 == 200)

        let fires = try JSONText.decode([FireReply].self, from: try await daemon.call("GET", "/next?count=3").1)
        #expect(fires.count == 3 && fires.allSatisfy { $0.routine == "daily" })
        #expect(try await daemon.error("GET", "/next?routine=nope").0 == 404)

        let runs = try JSONText.decode([RunReply].self, from: try await daemon.call("GET", "/history?routine=quick").1)
        #expect(runs.filter { $0.trigger == "cli" }.count == 2, "\(runs.map(\.trigger))")
        let unknown = try await daemon.error("GET", "/history?routine=nope")
        #expect(unknown.0 == 404 && unknown.1.contains("no routine named 'nope'"))

        let outputs = try JSONText.decode([OutputReply].self, from: try await daemon.call("GET", "/outputs").1)
        #expect(outputs.map(\.name) == ["speakers"] && outputs[0].default)

        let (sayCode, sayBody) = try await daemon.call("POST", "/say", #"{"text":"hello"}"#)
        #expect(sayCode == 200)
        #expect(try JSONText.decode(SayReply.self, from: sayBody).output == "speakers")
        #expect(daemon.audio.played.withLock { $0 } == ["speakers"])
        #expect(try await daemon.error("POST", "/say", #"{"text":"hi","output":"moon"}"#).0 == 400)

        let (metricsCode, metrics) = try await daemon.call("GET", "/metrics")
        #expect(metricsCode == 200)
        // The registry the daemon was given, rendered (the gauges themselves go through the process's
        // swift-metrics backend, which only the daemon bootstraps).
        #expect(String(decoding: metrics, as: UTF8.self).contains(#/routines_test_marker\S* 7/#))
        await daemon.close()
    }
}
