import Engine
import Foundation
import GRDB
import Synchronization
import ThreadExecutor

/// The daemon's persisted state in SQLite (WAL mode): headphone mode, catch-up marks and the
/// run history. Every write is a committed transaction when the call returns, so a `kill -9` at
/// any moment loses nothing that was acknowledged.
public final class SQLiteStateStore: OrderedRunStore {
    private let pool: DatabasePool
    private let keepPerRoutine: Int
    private let writer: RunWriter
    /// The database file.
    public let path: String

    /// Opens (creating when needed) `routines.sqlite` in `folder` and applies pending migrations.
    public init(folder: String, keepPerRoutine: Int = 200) throws {
        path = folder.hasSuffix("/") ? folder + "routines.sqlite" : folder + "/routines.sqlite"
        self.keepPerRoutine = max(1, keepPerRoutine)
        var configuration = Configuration()
        configuration.label = "routines.state"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL (DatabasePool's default) with synchronous=NORMAL: a committed transaction survives a
            // crash or kill -9 of the daemon (it is in the WAL file); only a power loss or kernel crash
            // can roll back the last commits, never corrupt the database.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A small page cache: the daemon's working set is tiny.
            try db.execute(sql: "PRAGMA cache_size = -256")
        }
        // One reader is plenty for the control API.
        configuration.maximumReaderCount = 2
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StateStoreError("cannot open the state database \(path): \(error)")
        }
        writer = RunWriter(pool: pool, keep: self.keepPerRoutine)
    }

    /// Schema changes, numbered; a shipped migration is never edited.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "settings") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "fire_marks") { t in
                t.primaryKey("key", .text)
                t.column("instant", .double).notNull()
            }
            try db.create(table: "runs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("routine", .text).notNull()
                t.column("trigger", .text).notNull()
                t.column("started_at", .double).notNull()
                t.column("ended_at", .double)
                t.column("outcome", .text).notNull()
                t.column("error", .text)
                t.column("steps", .text).notNull().defaults(to: "[]")
            }
            try db.create(index: "runs_by_routine", on: "runs", columns: ["routine", "id"])
        }
        migrator.registerMigration("v2") { db in
            // `routines enable` / `disable`: a routine's choice outlives restarts and file reloads.
            try db.create(table: "routine_enabled") { t in
                t.primaryKey("routine", .text)
                t.column("enabled", .boolean).notNull()
            }
            // Outcome names of the second wave: `error` became `failed`.
            try db.execute(sql: "UPDATE runs SET outcome = 'failed' WHERE outcome = 'error'")
        }
        return migrator
    }

    public func headphoneMode() async throws -> Bool {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'headphoneMode'") == "on"
        }
    }

    public func setHeadphoneMode(_ on: Bool) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO settings(key, value) VALUES ('headphoneMode', ?) "
                    + "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [on ? "on" : "off"])
        }
    }

    public func lastFire(_ key: String) async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT instant FROM fire_marks WHERE key = ?", arguments: [key])
                .map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func setLastFire(_ key: String, _ instant: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO fire_marks(key, instant) VALUES (?, ?) "
                    + "ON CONFLICT(key) DO UPDATE SET instant = excluded.instant",
                arguments: [key, instant.timeIntervalSince1970])
        }
    }

    /// Upserts a run row. Concurrent calls are grouped into one transaction (group commit): many
    /// triggers at once cost one commit, and each call returns only after its row is committed.
    public func saveRun(_ record: RunRecord) async throws -> Int64 {
        try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(record) { continuation.resume(with: $0) }
        }
    }

    /// Hands a run row to the writer thread without waiting: rows are committed in the order given
    /// (grouped with whatever else is waiting), and `committed` is called on that thread once it is.
    public func enqueueRun(_ record: RunRecord, committed: @escaping @Sendable (Result<Int64, any Error>) -> Void) {
        writer.enqueue(record, committed)
    }

    /// Writes one batch of run rows in one transaction; returns their ids in order. New rows trim
    /// their routine's history to the newest `keep` once per batch, not once per row.
    fileprivate static func write(_ records: [RunRecord], keep: Int, in db: Database) throws -> [Int64] {
        var ids: [Int64] = []
        var trim: Set<String> = []
        let upsert = try db.cachedStatement(
            sql: "INSERT INTO runs(id, routine, trigger, started_at, ended_at, outcome, error, steps) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET trigger = excluded.trigger, "
                + "started_at = excluded.started_at, ended_at = excluded.ended_at, outcome = excluded.outcome, "
                + "error = excluded.error, steps = excluded.steps")
        for record in records {
            let steps =
                record.steps.isEmpty ? "[]" : String(decoding: try JSONEncoder().encode(record.steps), as: UTF8.self)
            try upsert.execute(arguments: [
                record.id, record.routine, record.trigger, record.startedAt.timeIntervalSince1970,
                record.endedAt?.timeIntervalSince1970, record.outcome, record.error, steps,
            ])
            ids.append(record.id ?? db.lastInsertedRowID)
            if record.endedAt == nil && (record.outcome == "running" || record.outcome == "queued") {
                trim.insert(record.routine)
            }
        }
        for routine in trim {
            // Keep the newest `keep` runs of this routine.
            try db.execute(
                sql: "DELETE FROM runs WHERE routine = ? AND id <= ("
                    + "SELECT id FROM runs WHERE routine = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                arguments: [routine, routine, keep])
        }
        return ids
    }

    public func maxRunID() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs") ?? 0 }
    }

    public func enabledOverrides() async throws -> [String: Bool] {
        try await pool.read { db in
            var overrides: [String: Bool] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT routine, enabled FROM routine_enabled") {
                overrides[row["routine"]] = row["enabled"]
            }
            return overrides
        }
    }

    public func setEnabledOverride(_ routine: String, _ enabled: Bool?) async throws {
        try await pool.write { db in
            if let enabled {
                try db.execute(
                    sql: "INSERT INTO routine_enabled(routine, enabled) VALUES (?, ?) "
                        + "ON CONFLICT(routine) DO UPDATE SET enabled = excluded.enabled",
                    arguments: [routine, enabled])
            } else {
                try db.execute(sql: "DELETE FROM routine_enabled WHERE routine = ?", arguments: [routine])
            }
        }
    }

    public func history(routine: String?, limit: Int) async throws -> [RunRecord] {
        try await pool.read { db in
            let rows: [Row]
            if let routine {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM runs WHERE routine = ? ORDER BY id DESC LIMIT ?",
                    arguments: [routine, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit])
            }
            return rows.map(Self.record)
        }
    }

    public func closeDanglingRuns(at instant: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE runs SET outcome = 'interrupted', ended_at = ?, "
                    + "error = coalesce(error, CASE outcome WHEN 'queued' THEN 'the daemon stopped before the run started' "
                    + "ELSE 'the daemon stopped during the run' END) WHERE outcome IN ('running', 'queued')",
                arguments: [instant.timeIntervalSince1970])
        }
    }

    public func lastRuns() async throws -> [String: RunRecord] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY routine)")
            var newest: [String: RunRecord] = [:]
            for row in rows {
                let run = Self.record(row)
                newest[run.routine] = run
            }
            return newest
        }
    }

    /// Checks the database file (`PRAGMA integrity_check`); "ok" when sound.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    private static func record(_ row: Row) -> RunRecord {
        let stepsText: String = row["steps"] ?? "[]"
        let steps = (try? JSONDecoder().decode([RunStep].self, from: Data(stepsText.utf8))) ?? []
        let ended: Double? = row["ended_at"]
        return RunRecord(
            id: row["id"], routine: row["routine"], trigger: row["trigger"],
            startedAt: Date(timeIntervalSince1970: row["started_at"]),
            endedAt: ended.map { Date(timeIntervalSince1970: $0) },
            outcome: row["outcome"], error: row["error"], steps: steps)
    }
}

/// A state database problem, with the file and what failed.
public struct StateStoreError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Group commit of run rows on a thread of its own: callers append their row and a completion; the
/// thread writes every row that is waiting in one transaction, in the order they came, and calls each
/// completion once its row is committed, while rows that arrive meanwhile wait for the next
/// transaction. The write never sees a caller's cancellation (a cancelled run is still recorded), and
/// an idle writer's thread sleeps in its executor's poll without a timeout (no wake-ups).
final class RunWriter: Sendable {
    typealias Done = @Sendable (Result<Int64, any Error>) -> Void
    private let pool: DatabasePool
    private let keep: Int
    private let executor = DedicatedThreadExecutor(name: "routines-history")
    /// Rows waiting, and whether a write of them is queued on the thread.
    private let pending = Mutex<(rows: [(record: RunRecord, done: Done)], queued: Bool)>(([], false))

    init(pool: DatabasePool, keep: Int) {
        self.pool = pool
        self.keep = keep
    }

    func enqueue(_ record: RunRecord, _ done: @escaping Done) {
        let queue = pending.withLock { pending in
            pending.rows.append((record, done))
            defer { pending.queued = true }
            return !pending.queued
        }
        if queue { executor.execute { [self] in writeWaitingRows() } }
    }

    /// On the thread: one transaction for every row waiting now.
    private func writeWaitingRows() {
        let batch = pending.withLock { pending in
            defer { pending = ([], false) }
            return pending.rows
        }
        let records = batch.map(\.record)
        do {
            let ids = try pool.write { db in try SQLiteStateStore.write(records, keep: keep, in: db) }
            for (entry, id) in zip(batch, ids) { entry.done(.success(id)) }
        } catch {
            for entry in batch { entry.done(.failure(error)) }
        }
    }
}
