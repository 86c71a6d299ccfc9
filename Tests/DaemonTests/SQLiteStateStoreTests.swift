import Daemon
import Engine
import Foundation
import Testing

/// The SQLite state store: values persist across reopening, history is trimmed, crashes are closed.
@Suite struct SQLiteStateStoreTests {
    static func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "routines-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func valuesSurviveReopening() async throws {
        let dir = try Self.folder()
        do {
            let store = try SQLiteStateStore(folder: dir)
            #expect(try await store.headphoneMode() == false)
            try await store.setHeadphoneMode(true)
            try await store.setLastFire("a#0", Date(timeIntervalSince1970: 1_700_000_000.25))
        }
        let reopened = try SQLiteStateStore(folder: dir)
        #expect(try await reopened.headphoneMode() == true)
        #expect(try await reopened.lastFire("a#0") == Date(timeIntervalSince1970: 1_700_000_000.25))
        #expect(try await reopened.lastFire("missing") == nil)
        #expect(try reopened.integrityCheck() == "ok")
    }

    @Test func historyIsNewestFirstAndTrimmedPerRoutine() async throws {
        let store = try SQLiteStateStore(folder: try Self.folder(), keepPerRoutine: 3)
        for i in 0..<5 {
            let start = Date(timeIntervalSince1970: Double(1000 + i))
            var record = RunRecord(routine: "a", trigger: "manual", startedAt: start, outcome: "running")
            record.id = try await store.saveRun(record)
            record.outcome = "success"
            record.endedAt = start.addingTimeInterval(0.5)
            record.steps = [RunStep(index: 0, kind: "wait", startedAt: start, endedAt: start.addingTimeInterval(0.5))]
            _ = try await store.saveRun(record)
        }
        _ = try await store.saveRun(RunRecord(routine: "b", trigger: "event:x", startedAt: Date(), outcome: "running"))
        let a = try await store.history(routine: "a", limit: 100)
        #expect(a.map(\.startedAt.timeIntervalSince1970) == [1004, 1003, 1002])
        #expect(a.allSatisfy { $0.outcome == "success" && $0.steps.count == 1 && $0.steps[0].kind == "wait" })
        #expect(try await store.history(routine: nil, limit: 100).count == 4)
        #expect(try await store.history(routine: nil, limit: 1).first?.routine == "b")
        let newest = try await store.lastRuns()
        #expect(newest["a"]?.startedAt.timeIntervalSince1970 == 1004)
        #expect(newest["a"]?.outcome == "success")
        #expect(newest["b"]?.outcome == "running")
        #expect(newest.count == 2)
    }

    @Test func runsLeftRunningAreClosedAsInterrupted() async throws {
        let store = try SQLiteStateStore(folder: try Self.folder())
        _ = try await store.saveRun(RunRecord(routine: "a", trigger: "manual", startedAt: Date(), outcome: "running"))
        let end = Date(timeIntervalSince1970: 2_000_000_000)
        try await store.closeDanglingRuns(at: end)
        let run = try #require(try await store.history(routine: "a", limit: 1).first)
        #expect(run.outcome == "interrupted")
        #expect(run.endedAt == end)
        #expect(run.error?.contains("daemon stopped") == true)
    }

    @Test func anUnwritableFolderIsAClearError() throws {
        do {
            _ = try SQLiteStateStore(folder: "/proc/routines-cannot-be-here")
            Issue.record("must fail")
        } catch {
            #expect("\(error)".contains("cannot open the state database /proc/routines-cannot-be-here/routines.sqlite"))
        }
    }
}
