import Foundation
import RoutineModel
import Testing

@testable import Engine

/// `routines stop`, `enable`/`disable`, run ids that are history ids, terminal rows for every outcome,
/// and audio that stops when its output goes away.
@Suite(.timeLimit(.minutes(1))) struct StopAndEnableTests {
    @Test func stopCutsTheRunningAudioAndDropsQueuedRuns() async throws {
        let h = Harness()
        await h.start([routine("alarm", mode: .queued, [tone(30)])])
        for _ in 0..<3 { _ = try await h.engine.trigger("alarm") }
        await h.advance(.seconds(2))
        let result = try await h.engine.stop("alarm")
        #expect(result.stopped.count == 1 && result.dropped.count == 2)
        let plays = await h.plays()
        #expect(plays.count == 1)
        #expect(plays[0].interrupted && plays[0].end == .seconds(2))
        await h.advance(.seconds(60))
        #expect(await h.plays().count == 1)
        let records = await h.records("alarm")
        #expect(records.map(\.outcome) == ["cancelled", "cancelled", "cancelled"])
        #expect(records.allSatisfy { $0.error?.contains("stopped by routines stop") == true })
        #expect(records.allSatisfy { $0.endedAt != nil })
        #expect(await h.engine.status().running.isEmpty)
    }

    @Test func stoppingARoutineThatIsNotRunningSaysSo() async throws {
        let h = Harness()
        await h.start([routine("idle", [tone(1)])])
        let result = try await h.engine.stop("idle")
        #expect(result == StopResult())
        await #expect(throws: EngineError("no routine named nope", kind: .notFound)) {
            try await h.engine.stop("nope")
        }
    }

    @Test func stopAllEndsEveryRoutine() async throws {
        let h = Harness()
        await h.start([routine("a", [tone(30)]), routine("b", [.wait(.seconds(30))]), routine("c", [tone(1)])])
        _ = try await h.engine.trigger("a")
        _ = try await h.engine.trigger("b")
        await h.advance(.seconds(1))
        let results = await h.engine.stopAll()
        #expect(results.keys.sorted() == ["a", "b"])
        #expect(await h.records("a").map(\.outcome) == ["cancelled"])
        #expect(await h.records("b").map(\.outcome) == ["cancelled"])
    }

    @Test func restartCancelsTheOldRunsAudioBeforeTheNewOnePlays() async throws {
        let h = Harness()
        await h.start([routine("r", mode: .restart, [tone(4)])])
        _ = try await h.engine.trigger("r")
        await h.advance(.seconds(1))
        _ = try await h.engine.trigger("r")
        await h.advance(.seconds(10))
        let plays = await h.plays()
        #expect(plays.count == 2)
        #expect(plays[0].interrupted && plays[0].end == .seconds(1))
        #expect(plays[1].start == .seconds(1) && plays[1].end == .seconds(5))
        let records = await h.records("r")
        #expect(records.map(\.outcome) == ["cancelled", "success"])
        #expect(records[0].error?.contains("restarted by a newer trigger") == true)
    }

    @Test func restartSkipsQueuedRunsItReplaces() async throws {
        // A queued run of a routine whose mode is now `restart` (the file changed meanwhile).
        let h = Harness()
        await h.start([routine("r", mode: .queued, [tone(10)])])
        _ = try await h.engine.trigger("r")
        _ = try await h.engine.trigger("r")
        await h.advance(.seconds(1))
        await h.engine.apply(routine("r", mode: .restart, [tone(10)]))
        _ = try await h.engine.trigger("r")
        await h.advance(.seconds(30))
        #expect(await h.records("r").map(\.outcome) == ["cancelled", "skipped", "success"])
    }

    @Test func runIDsAreHistoryIDsAndNeverRestart() async throws {
        let first = Harness()
        await first.start([routine("r", [tone(1)])])
        guard case .started(let a) = try await first.engine.trigger("r") else {
            Issue.record("not started")
            return
        }
        await first.advance(.seconds(2))
        await first.engine.shutdown()
        let second = Harness(sharing: first)
        await second.start([routine("r", [tone(1)])])
        guard case .started(let b) = try await second.engine.trigger("r") else {
            Issue.record("not started")
            return
        }
        await second.advance(.seconds(2))
        #expect(b > a)
        #expect(await second.records("r").map(\.id) == [Int64(a), Int64(b)])
        #expect(await second.engine.status().running.isEmpty)
    }

    @Test func theTriggerReplyComesAfterTheRowIsWritten() async throws {
        let h = Harness()
        await h.start([routine("r", [.wait(.seconds(30))])])
        guard case .started(let id) = try await h.engine.trigger("r") else {
            Issue.record("not started")
            return
        }
        // No virtual time has passed and no settling: the row must already be there.
        #expect(await h.store.records("r").map(\.id) == [Int64(id)])
        #expect(await h.store.records("r").map(\.outcome) == ["running"])
    }

    @Test func disableKeepsEveryTriggerFromFiringAndSurvivesRestartAndReload() async throws {
        let every = Trigger(kind: .every(.seconds(10)))
        let h = Harness()
        await h.start([routine("tick", triggers: [every, Trigger(kind: .event(name: "go", match: [:]))], [tone(1)])])
        await h.advance(.seconds(11))
        #expect(await h.records("tick").count == 1)
        try await h.engine.setEnabled("tick", false)
        #expect(await h.engine.status().routines.first?.enabledBy == .state)
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(30))
        #expect(await h.records("tick").count == 1)
        // A manual trigger says it is disabled, unless forced.
        guard case .disabled(let reason) = try await h.engine.trigger("tick") else {
            Issue.record("a disabled routine was triggered")
            return
        }
        #expect(reason.contains("disabled (by routines disable)") && reason.contains("--force"))
        guard case .started = try await h.engine.trigger("tick", force: true) else {
            Issue.record("--force did not run it")
            return
        }
        await h.advance(.seconds(2))
        #expect(await h.records("tick").count == 2)
        // A reload of the file (enabled: true) does not undo the choice.
        await h.engine.apply(routine("tick", triggers: [every], [tone(1)]))
        await h.advance(.seconds(30))
        #expect(await h.records("tick").count == 2)
        await h.engine.shutdown()

        let restarted = Harness(sharing: h)
        await restarted.start([routine("tick", triggers: [every], [tone(1)])])
        await restarted.advance(.seconds(30))
        #expect(await restarted.records("tick").count == 2)
        #expect(await restarted.engine.status().routines.first?.enabled == false)
        try await restarted.engine.setEnabled("tick", true)
        await restarted.advance(.seconds(11))
        #expect(await restarted.records("tick").count == 3)
    }

    @Test func enableOverridesAFileThatSaysDisabled() async throws {
        let h = Harness()
        var file = routine("quiet", triggers: [Trigger(kind: .every(.seconds(10)))], [tone(1)])
        file.enabled = false
        await h.start([file])
        await h.advance(.seconds(25))
        #expect(await h.records("quiet").isEmpty)
        #expect(await h.engine.status().routines.first?.enabledBy == .file)
        guard case .disabled(let reason) = try await h.engine.trigger("quiet") else {
            Issue.record("a disabled routine was triggered")
            return
        }
        #expect(reason.contains("\"enabled\": false in its file"))
        try await h.engine.setEnabled("quiet", true)
        await h.advance(.seconds(11))
        #expect(await h.records("quiet").count == 1)
    }

    @Test func aDisabledIdleTriggerDoesNotFire() async throws {
        let h = Harness()
        await h.start([
            routine("keep", triggers: [Trigger(kind: .idle(output: "speakers", for: .seconds(60)))], [tone(1)])
        ])
        try await h.engine.setEnabled("keep", false)
        await h.advance(.seconds(300))
        #expect(await h.records("keep").isEmpty)
    }

    @Test func disconnectStopsTheAudioOfAnyRunOnThatOutput() async throws {
        let h = Harness()
        await h.start([routine("music", [tone(60, output: "headphones"), tone(1, output: "speakers")])])
        await h.engine.deviceConnected(buds)
        _ = try await h.engine.trigger("music")
        await h.advance(.seconds(3))
        await h.engine.deviceDisconnected(buds)
        await h.advance(.seconds(5))
        let plays = await h.plays()
        #expect(plays.count == 1)
        #expect(plays[0].interrupted && plays[0].end == .seconds(3))
        let records = await h.records("music")
        #expect(records.map(\.outcome) == ["cancelled"])
        #expect(
            records[0].error?.contains("output headphones became inactive (its Bluetooth device disconnected)") == true)
    }

    @Test func switchingHeadphoneModeStopsImplicitAudioOnTheOldOutput() async throws {
        let h = Harness()
        await h.start([
            routine("implicit", [tone(60)]),
            routine("named", [tone(60, output: "speakers")]),
        ])
        _ = try await h.engine.trigger("implicit")
        _ = try await h.engine.trigger("named")
        await h.advance(.seconds(2))
        try await h.engine.setHeadphoneMode(.on)
        await h.advance(.seconds(2))
        #expect(await h.records("implicit").map(\.outcome) == ["cancelled"])
        #expect(await h.records("implicit").first?.error?.contains("headphone mode switched on") == true)
        #expect(await h.records("named").map(\.outcome) == ["running"])
    }

    @Test func everyOutcomeIsTerminalAndNoRowStaysRunning() async throws {
        let h = Harness()
        await h.start([
            routine("ok", [tone(1)]),
            routine("bad", [.play(PlaySpec(file: "missing.wav"))]),
            routine("long", [.wait(.seconds(100))]),
        ])
        _ = try await h.engine.trigger("ok")
        _ = try await h.engine.trigger("bad")
        _ = try await h.engine.trigger("long")
        await h.advance(.seconds(5))
        _ = try await h.engine.stop("long")
        _ = try await h.engine.trigger("long")
        await h.advance(.seconds(1))
        await h.engine.shutdown()
        let all = await h.store.records()
        #expect(Set(all.map(\.outcome)) == ["success", "failed", "cancelled", "interrupted"])
        #expect(all.allSatisfy { $0.endedAt != nil })
        // Errors are sentences, never a type name.
        for record in all where record.error != nil {
            #expect(!record.error!.contains("Error()"))
        }
    }
}
