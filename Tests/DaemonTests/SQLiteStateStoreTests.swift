import Engine
import Foundation
import Synchronization
import Testing

@testable import Daemon

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

    /// A state folder holding a copy of `Fixtures/NAME` as its `routines.sqlite`.
    static func folder(with fixture: String) throws -> String {
        let dir = try folder()
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/\(fixture)")
        try FileManager.default.copyItem(atPath: source.path, toPath: dir + "/routines.sqlite")
        return dir
    }

    // The fixtures were written by the store of 0cd2fd3 (GRDB 7.10.0's DatabasePool and migrator)
    // and checkpointed: grdb-v2.sqlite through its public API (both migrations), grdb-v1.sqlite by
    // the migrator stopped after "v1" plus rows of that schema's time (outcome `error`).

    /// A state file the GRDB-based store wrote opens with every value, row and id where it was, its
    /// schema is the one a new file gets, and run ids carry on after the highest ever given.
    @Test func aStateFileWrittenWithGRDBKeepsEverything() async throws {
        let store = try SQLiteStateStore(folder: try Self.folder(with: "grdb-v2.sqlite"))
        #expect(try await store.appliedMigrations() == ["v1", "v2"])
        #expect(try await store.headphoneMode() == true)
        #expect(try await store.lastFire("wake#0") == Date(timeIntervalSince1970: 1_700_000_000.25))
        #expect(try await store.lastFire("night#bedtime") == Date(timeIntervalSince1970: 1_700_086_400.5))
        #expect(try await store.enabledOverrides() == ["wake": false, "küche": true])
        #expect(try await store.maxRunID() == 9)

        let t0 = Date(timeIntervalSince1970: 1_700_000_000.25)
        let runs = try await store.history(routine: nil, limit: 100)
        #expect(runs.map(\.id) == [9, 7, 2, 1])
        #expect(
            runs[3]
                == RunRecord(
                    id: 1, routine: "wake", trigger: "0", startedAt: t0, endedAt: t0.addingTimeInterval(3.5),
                    outcome: "success",
                    steps: [
                        RunStep(index: 0, kind: "play", startedAt: t0, endedAt: t0.addingTimeInterval(1.25)),
                        RunStep(
                            index: 1, kind: "speak", startedAt: t0.addingTimeInterval(1.25),
                            endedAt: t0.addingTimeInterval(3.5), note: "spoken by espeak-ng: piper did not answer"),
                    ]))
        #expect(
            runs[2]
                == RunRecord(
                    id: 2, routine: "küche", trigger: "mqtt:home/küche 'x'", startedAt: t0.addingTimeInterval(60),
                    endedAt: t0.addingTimeInterval(61), outcome: "failed", error: "output \"speakers\": no such PCM 😬",
                    steps: [
                        RunStep(index: 0, kind: "play", startedAt: t0.addingTimeInterval(60), error: "no such PCM")
                    ]))
        #expect(
            runs[1]
                == RunRecord(
                    id: 7, routine: "night", trigger: "api", startedAt: t0.addingTimeInterval(120), outcome: "queued"))
        #expect(
            runs[0]
                == RunRecord(
                    id: 9, routine: "wake", trigger: "startup", startedAt: t0.addingTimeInterval(180),
                    outcome: "running"))
        #expect(try await store.history(routine: "wake", limit: 100).map(\.id) == [9, 1])
        let newest = try await store.lastRuns()
        #expect(newest.mapValues(\.id) == ["wake": 9, "küche": 2, "night": 7])

        // The same schema as a file this store creates.
        let fresh = try SQLiteStateStore(folder: try Self.folder())
        #expect(try await store.schema() == (try await fresh.schema()))
        #expect(try await store.schema().contains { $0.hasPrefix("table | grdb_migrations") })

        // AUTOINCREMENT: a row without an id gets one above every id given before.
        #expect(
            try await store.saveRun(RunRecord(routine: "night", trigger: "cli", startedAt: t0, outcome: "running"))
                == 10)
        try await store.closeDanglingRuns(at: t0.addingTimeInterval(300))
        let closed = try await store.history(routine: nil, limit: 100).filter { $0.outcome == "interrupted" }
        #expect(closed.map(\.id) == [10, 9, 7])
        #expect(try store.integrityCheck() == "ok")
    }

    /// A file of the first schema gets the second migration: `error` outcomes become `failed`, the
    /// enable/disable table appears, and nothing else changes.
    @Test func aStateFileOfTheFirstSchemaIsMigrated() async throws {
        let dir = try Self.folder(with: "grdb-v1.sqlite")
        do {
            let store = try SQLiteStateStore(folder: dir)
            #expect(try await store.appliedMigrations() == ["v1", "v2"])
            let runs = try await store.history(routine: nil, limit: 100)
            #expect(runs.map(\.id) == [3, 2, 1])
            #expect(runs.map(\.outcome) == ["running", "failed", "success"])
            #expect(runs[1].error == "output speakers: no such PCM")
            #expect(runs[2].endedAt == Date(timeIntervalSince1970: 1_700_000_003.75))
            #expect(try await store.headphoneMode() == true)
            #expect(try await store.lastFire("wake#0") == Date(timeIntervalSince1970: 1_700_000_000.25))
            #expect(try await store.enabledOverrides() == [:])
            try await store.setEnabledOverride("night", false)
        }
        // Reopened: nothing is migrated twice, the new table kept its row.
        let reopened = try SQLiteStateStore(folder: dir)
        #expect(try await reopened.appliedMigrations() == ["v1", "v2"])
        #expect(try await reopened.enabledOverrides() == ["night": false])
        #expect(
            try await reopened.history(routine: nil, limit: 100).map(\.outcome) == ["running", "failed", "success"])
        let fresh = try SQLiteStateStore(folder: try Self.folder())
        #expect(try await reopened.schema() == (try await fresh.schema()))
    }

    /// A file that is no database: the error names the file, SQLite's reason and what to do.
    @Test func aStateFileThatIsNoDatabaseIsAClearError() throws {
        let dir = try Self.folder()
        try Data("{\"headphoneMode\": true}\n".utf8).write(to: URL(fileURLWithPath: dir + "/routines.sqlite"))
        do {
            _ = try SQLiteStateStore(folder: dir)
            Issue.record("must fail")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("cannot open the state database \(dir)/routines.sqlite: "), "\(message)")
            #expect(message.contains("file is not a database"), "\(message)")
            #expect(message.contains("move it away"), "\(message)")
        }
        // Left as it was, for the user to look at.
        #expect(try String(contentsOfFile: dir + "/routines.sqlite", encoding: .utf8) == "{\"headphoneMode\": true}\n")
    }

    /// A state file cut short (its schema's pages lost): the open fails naming the file, the
    /// statement and SQLite's reason, and says what to do.
    @Test func aStateFileCutShortIsAClearError() throws {
        let dir = try Self.folder(with: "grdb-v2.sqlite")
        let path = dir + "/routines.sqlite"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(3 * 4096).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try SQLiteStateStore(folder: dir)
        } throws: { error in
            "\(error)".hasPrefix("cannot open the state database \(path): ")
                && "\(error)".contains("running `SELECT count(*) FROM sqlite_master`: database disk image is malformed")
                && "\(error)".contains("move it away")
        }
    }

    /// Damage the open does not reach (the history table's page overwritten): the other tables still
    /// answer, and every statement touching the history fails with the file and the statement named
    /// (never a crash or made-up rows); a run row handed to the writer reports the error too.
    @Test func aDamagedHistoryTableFailsEachStatementClearly() async throws {
        let dir = try Self.folder(with: "grdb-v2.sqlite")
        let path = dir + "/routines.sqlite"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Page 8 (4 KiB pages) is the root page of `runs` in the fixture.
        bytes.replaceSubrange(7 * 4096..<8 * 4096, with: Data(repeating: 0xA5, count: 4096))
        try bytes.write(to: URL(fileURLWithPath: path))

        let store = try SQLiteStateStore(folder: dir)
        #expect(try await store.headphoneMode() == true)
        #expect(try await store.enabledOverrides() == ["wake": false, "küche": true])
        await #expect {
            _ = try await store.history(routine: nil, limit: 10)
        } throws: { error in
            "\(error)".hasPrefix("\(path): sqlite3_step running `SELECT id, routine, trigger")
                && "\(error)".contains("database disk image is malformed")
        }
        await #expect {
            _ = try await store.saveRun(RunRecord(routine: "a", trigger: "cli", startedAt: Date(), outcome: "running"))
        } throws: { error in
            "\(error)".hasPrefix("\(path): ") && "\(error)".contains("malformed")
        }
        #expect((try? store.integrityCheck()) != "ok")
    }

    @Test func anUnwritableFolderIsAClearError() throws {
        do {
            _ = try SQLiteStateStore(folder: "/proc/routines-cannot-be-here")
            Issue.record("must fail")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("cannot open the state database /proc/routines-cannot-be-here/routines.sqlite: "))
            #expect(message.contains("unable to open database file"), "\(message)")
            #expect(message.contains("may write to it"), "\(message)")
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
