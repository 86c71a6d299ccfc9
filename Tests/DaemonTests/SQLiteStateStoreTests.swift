import Daemon
import Engine
import Foundation
import Synchronization
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

    /// `enqueueRun` (the engine's path): rows handed over without waiting are committed in the order
    /// given, so a run's later row never loses to its earlier one, and each completion reports the
    /// row's id after it is committed.
    @Test func enqueuedRowsAreCommittedInOrderAndReported() async throws {
        let store = try SQLiteStateStore(folder: try Self.folder(), keepPerRoutine: 1000)
        let start = Date(timeIntervalSince1970: 1000)
        let log = CompletionLog()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for id in Int64(1)...300 {
                let running = RunRecord(id: id, routine: "a", trigger: "api", startedAt: start, outcome: "running")
                var ended = running
                ended.outcome = id % 2 == 0 ? "success" : "failed"
                ended.endedAt = start.addingTimeInterval(1)
                for row in [running, ended] {
                    store.enqueueRun(row) { result in
                        if log.add(id: id, outcome: row.outcome, committedAs: try? result.get()) == 600 {
                            done.resume()
                        }
                    }
                }
            }
        }
        let entries = log.entries.withLock { $0 }
        #expect(entries.allSatisfy { $0.id == $0.committedAs })
        for id in Int64(1)...300 {
            let order = entries.filter { $0.id == id }.map(\.outcome)
            #expect(order.count == 2 && order[0] == "running", "run \(id): \(order)")
        }
        let rows = try await store.history(routine: "a", limit: 1000)
        #expect(rows.count == 300)
        #expect(rows.allSatisfy { $0.outcome == ($0.id! % 2 == 0 ? "success" : "failed") && $0.endedAt != nil })
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

/// Completions of `enqueueRun`, in the order they came (from the store's writer thread).
final class CompletionLog: Sendable {
    let entries = Mutex<[(id: Int64, outcome: String, committedAs: Int64?)]>([])

    /// Appends one; returns how many there are now.
    func add(id: Int64, outcome: String, committedAs: Int64?) -> Int {
        entries.withLock {
            $0.append((id, outcome, committedAs))
            return $0.count
        }
    }
}
