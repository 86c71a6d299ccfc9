import Foundation
import RoutineModel
import Testing

@testable import Engine

@Suite(.timeLimit(.minutes(1))) struct EventAndModeTests {
    @Test func eventMatchNeedsEveryKeyToEqualOneOfItsValues() async throws {
        let h = Harness()
        let trigger = Trigger(kind: .event(name: "door", match: ["room": ["kitchen", "hall"], "state": ["open"]]))
        await h.start([routine("doorbell", mode: .parallel, triggers: [trigger], [tone()])])
        await h.engine.raise(Event("door", ["room": "kitchen", "state": "open"]))
        await h.engine.raise(Event("door", ["room": "hall", "state": "open", "extra": "x"]))
        await h.engine.raise(Event("door", ["room": "cellar", "state": "open"]))
        await h.engine.raise(Event("door", ["room": "kitchen"]))
        await h.engine.raise(Event("window", ["room": "kitchen", "state": "open"]))
        await h.advance(.seconds(5))
        #expect(await h.records("doorbell").count == 2)
        #expect(await h.records("doorbell").allSatisfy { $0.trigger == "event:door" && $0.outcome == "success" })
    }

    @Test func raiseCountsTheRunsItStartsAndRecordsItsSource() async throws {
        let h = Harness()
        await h.start([
            routine("a", [tone()]), routine("b", [tone()]),
            routine("c", triggers: [Trigger(kind: .event(name: "go", match: ["room": ["hall"]]))], [tone()]),
        ])
        #expect(await h.engine.raise(Event("nobody.listens")) == 0)
        #expect(await h.engine.raise(Event("go", ["room": "kitchen"]), source: "api 192.168.1.10") == 2)
        // A routine that is already running (mode single) refuses the second event: not counted.
        #expect(await h.engine.raise(Event("go", ["room": "hall"]), source: "cli") == 1)
        await h.advance(.seconds(5))
        #expect(await h.records("a").map(\.trigger) == ["event:go via api 192.168.1.10"])
        #expect(await h.records("c").map(\.trigger) == ["event:go via cli"])
        _ = try await h.engine.trigger("b", source: "api 10.0.0.7")
        await h.advance(.seconds(5))
        #expect(await h.records("b").map(\.trigger) == ["event:go via api 192.168.1.10", "api 10.0.0.7"])
    }

    @Test func headphoneModeNeedsASecondOutput() async throws {
        let config = Config(outputs: ["speakers": OutputConfig(pcm: "default")], headphoneOutput: "speakers")
        let h = Harness(config: config)
        await h.start([routine("r", [.headphoneMode(.on)])])
        await #expect(throws: EngineError.self) { try await h.engine.setHeadphoneMode(.on) }
        do {
            try await h.engine.setHeadphoneMode(.on)
        } catch {
            #expect("\(error)".contains("headphone mode needs a second output, but the config has only 'speakers'"))
        }
        #expect(await h.engine.isHeadphoneModeOn() == false)
        // Off stays possible (nothing to do), and a routine switching it on fails with the message.
        #expect(try await h.engine.setHeadphoneMode(.off) == false)
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(1))
        #expect(await h.records("r").first?.error?.contains("needs a second output") == true)
    }

    @Test(arguments: [
        (RunMode.single, 1, ["success"]),
        (RunMode.restart, 10, ["cancelled", "cancelled", "success"]),
        (RunMode.queued, 1, ["success", "success"]),
        (RunMode.parallel, 2, ["success", "success"]),
    ])
    func runModes(mode: RunMode, max: Int, outcomes: [String]) async throws {
        let h = Harness()
        await h.start([routine("r", mode: mode, max: max, [.wait(.seconds(10))])])
        for _ in 0..<3 {
            await h.engine.raise(Event("go"))
            await h.advance(.seconds(1))
        }
        await h.advance(.seconds(60))
        let records = await h.records("r")
        #expect(records.map(\.outcome) == outcomes)
        if mode == .queued {
            // The queued run starts when the first ends, not before.
            #expect(records[1].startedAt.timeIntervalSince(records[0].endedAt!) >= 0)
            #expect(h.logs.contains("queued runs (mode queued); trigger dropped"))
        }
        if mode == .single { #expect(h.logs.contains("already running (mode single); trigger ignored")) }
    }

    @Test func triggerWaitsAndSkipsConditions() async throws {
        let h = Harness()
        await h.start([routine("r", conditions: [.headphoneMode(true)], [.wait(.seconds(3)), tone()])])
        await h.engine.raise(Event("go"))  // conditions do not hold: nothing
        await h.advance(.seconds(1))
        #expect(await h.records("r").isEmpty)
        let engine = h.engine
        async let result = engine.trigger("r", wait: true)
        await h.advance(.seconds(10))
        let r = try await result
        guard case .finished(_, .success, nil) = r else {
            Issue.record("unexpected \(r)")
            return
        }
        #expect(await h.records("r").map(\.trigger) == ["manual"])
        await #expect(throws: EngineError.self) { try await engine.trigger("nope") }
    }

    @Test func historyRecordsStepsAndShutdownInterrupts() async throws {
        let h = Harness()
        await h.start([routine("r", [tone(2), .wait(.seconds(100))])])
        _ = try await h.engine.trigger("r")
        await h.advance(.seconds(5))
        let running = await h.records("r")
        #expect(running.map(\.outcome) == ["running"])
        #expect(await h.engine.status().running.map(\.routine) == ["r"])
        #expect(await h.engine.status().running.map(\.startedAt) == [h.time.wallBase])
        await h.engine.shutdown()
        let done = await h.records("r")
        #expect(done.map(\.outcome) == ["interrupted"])
        #expect(done[0].steps.map(\.kind) == ["tone", "wait"])
        #expect(done[0].steps[0].error == nil)
        #expect(done[0].steps[1].error == "the daemon stopped during the run")
        #expect(done[0].steps[0].endedAt!.timeIntervalSince(done[0].steps[0].startedAt) == 2)
    }

    @Test func startupAndDaemonStartedFireOnce() async throws {
        let h = Harness()
        await h.start([
            routine("boot", triggers: [Trigger(kind: .startup)], [tone()]),
            routine("hello", triggers: [Trigger(kind: .event(name: "daemon.started", match: [:]))], [tone()]),
            routine(
                "finished", mode: .parallel,
                triggers: [
                    Trigger(
                        kind: .event(name: "routine.finished", match: ["routine": ["boot"], "outcome": ["success"]]))
                ],
                [.wait(.seconds(1))]),
        ])
        await h.advance(.seconds(10))
        #expect(await h.records("boot").map(\.trigger) == ["startup"])
        #expect(await h.records("hello").map(\.trigger) == ["event:daemon.started"])
        #expect(await h.records("finished").count == 1)
    }
}

@Suite(.timeLimit(.minutes(1))) struct LifecycleTests {
    @Test func removeStopsSchedulesAndRuns() async throws {
        let h = Harness()
        await h.start([
            routine("long", triggers: [Trigger(kind: .every(.seconds(10)))], [.wait(.seconds(100))]),
            routine("other", triggers: [Trigger(kind: .every(.seconds(10)))], [.wait(.seconds(1))]),
        ])
        await h.advance(.seconds(15))
        #expect(await h.records("long").map(\.outcome) == ["running"])
        await h.engine.remove("long")
        await h.advance(.seconds(100))
        #expect(await h.records("long").map(\.outcome) == ["cancelled"])
        #expect(await h.records("long").first?.error == "the routine file was removed")
        #expect(await h.records("other").count == 11)
        #expect(await h.engine.routineNames() == ["other"])
    }

    @Test func runIntoABusySingleRoutineFailsAndShutdownDropsQueuedRuns() async throws {
        let h = Harness()
        await h.start([
            routine("busy", triggers: [], [.wait(.seconds(50))]),
            routine("caller", triggers: [], [.run("busy")]),
            routine("line", mode: .queued, [.wait(.seconds(50))]),
        ])
        _ = try await h.engine.trigger("busy")
        let result = try await h.engine.trigger("caller", wait: false)
        await h.advance(.seconds(1))
        guard case .started = result else {
            Issue.record("caller not started: \(result)")
            return
        }
        let caller = await h.records("caller")
        #expect(caller.map(\.outcome) == ["failed"])
        #expect(caller[0].error?.contains("routine busy is already running (mode single)") == true)
        for _ in 0..<3 { await h.engine.raise(Event("go")) }
        await h.advance(.seconds(1))
        #expect(await h.engine.status().routines.first { $0.name == "line" }?.queued == 2)
        await h.engine.shutdown()
        // The running run and the two queued ones: every accepted run has a terminal row.
        #expect(await h.records("line").map(\.outcome) == ["interrupted", "interrupted", "interrupted"])
        #expect(
            await h.records("line").map(\.error) == [
                "the daemon stopped during the run", "the daemon stopped before the run started",
                "the daemon stopped before the run started",
            ])
        #expect(await h.records("busy").map(\.outcome) == ["interrupted"])
    }
}
