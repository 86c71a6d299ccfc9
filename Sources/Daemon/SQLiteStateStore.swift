import Engine
import FoundationEssentials
import Synchronization
import ThreadExecutor

/// The daemon's persisted state in SQLite (WAL mode): headphone mode, catch-up marks and the
/// run history. Every write is a committed transaction when the call returns, so a `kill -9` at
/// any moment loses nothing that was acknowledged.
public final class SQLiteStateStore: OrderedRunStore {
    private let database: StateDatabase
    private let writer: RunWriter
    /// The database file.
    public let path: String

    /// Opens (creating when needed) `routines.sqlite` in `folder` and applies pending migrations.
    public init(folder: String, keepPerRoutine: Int = 200) throws {
        path = folder.hasSuffix("/") ? folder + "routines.sqlite" : folder + "/routines.sqlite"
        do {
            database = try StateDatabase(path: path)
        } catch {
            throw StateStoreError(opening: path, error)
        }
        writer = RunWriter(database: database, keep: max(1, keepPerRoutine))
    }

    public func headphoneMode() async throws -> Bool {
        try await database.run { db in
            try db.statement("SELECT value FROM settings WHERE key = 'headphoneMode'").first { $0.text(0) } == "on"
        }
    }

    public func setHeadphoneMode(_ on: Bool) async throws {
        try await database.write { db in
            try db.statement(
                "INSERT INTO settings(key, value) VALUES ('headphoneMode', ?) "
                    + "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            ).run(on ? "on" : "off")
        }
    }

    public func lastFire(_ key: String) async throws -> Date? {
        try await database.run { db in
            try db.statement("SELECT instant FROM fire_marks WHERE key = ?").first(key) { $0.double(0) }?
                .map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func setLastFire(_ key: String, _ instant: Date) async throws {
        try await database.write { db in
            try db.statement(
                "INSERT INTO fire_marks(key, instant) VALUES (?, ?) "
                    + "ON CONFLICT(key) DO UPDATE SET instant = excluded.instant"
            ).run(key, instant.timeIntervalSince1970)
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

    /// Writes one batch of run rows (the caller's transaction); returns their ids in order. New rows
    /// trim their routine's history to the newest `keep` once per batch, not once per row.
    fileprivate static func write(_ records: [RunRecord], keep: Int, in db: SQLiteConnection) throws -> [Int64] {
        var ids: [Int64] = []
        var trim: Set<String> = []
        let upsert = try db.statement(
            "INSERT INTO runs(id, routine, trigger, started_at, ended_at, outcome, error, steps) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET trigger = excluded.trigger, "
                + "started_at = excluded.started_at, ended_at = excluded.ended_at, outcome = excluded.outcome, "
                + "error = excluded.error, steps = excluded.steps")
        let encoder = JSONEncoder()
        for record in records {
            let steps = record.steps.isEmpty ? "[]" : String(decoding: try encoder.encode(record.steps), as: UTF8.self)
            try upsert.run(
                record.id, record.routine, record.trigger, record.startedAt.timeIntervalSince1970,
                record.endedAt?.timeIntervalSince1970, record.outcome, record.error, steps)
            ids.append(record.id ?? db.lastInsertedRowID)
            if record.endedAt == nil && (record.outcome == "running" || record.outcome == "queued") {
                trim.insert(record.routine)
            }
        }
        // Keep the newest `keep` runs of each routine that got a new one.
        let deleteOlder = try db.statement(
            "DELETE FROM runs WHERE routine = ? AND id <= ("
                + "SELECT id FROM runs WHERE routine = ? ORDER BY id DESC LIMIT 1 OFFSET ?)")
        for routine in trim {
            try deleteOlder.run(routine, routine, keep)
        }
        return ids
    }

    public func maxRunID() async throws -> Int64 {
        try await database.run { db in try db.statement("SELECT max(id) FROM runs").first { $0.int64(0) } ?? 0 }
    }

    public func enabledOverrides() async throws -> [String: Bool] {
        try await database.run { db in
            let rows = try db.statement("SELECT routine, enabled FROM routine_enabled").all {
                ($0.text(0) ?? "", ($0.int64(1) ?? 0) != 0)
            }
            return Dictionary(rows, uniquingKeysWith: { _, last in last })
        }
    }

    public func setEnabledOverride(_ routine: String, _ enabled: Bool?) async throws {
        try await database.write { db in
            if let enabled {
                try db.statement(
                    "INSERT INTO routine_enabled(routine, enabled) VALUES (?, ?) "
                        + "ON CONFLICT(routine) DO UPDATE SET enabled = excluded.enabled"
                ).run(routine, enabled)
            } else {
                try db.statement("DELETE FROM routine_enabled WHERE routine = ?").run(routine)
            }
        }
    }

    public func history(routine: String?, limit: Int) async throws -> [RunRecord] {
        try await database.run { db in
            if let routine {
                return try db.statement(
                    "SELECT \(Self.runColumns) FROM runs WHERE routine = ? ORDER BY id DESC LIMIT ?"
                )
                .all(routine, limit, row: Self.record)
            }
            return try db.statement("SELECT \(Self.runColumns) FROM runs ORDER BY id DESC LIMIT ?")
                .all(limit, row: Self.record)
        }
    }

    public func closeDanglingRuns(at instant: Date) async throws {
        try await database.write { db in
            try db.statement(
                "UPDATE runs SET outcome = 'interrupted', ended_at = ?, "
                    + "error = coalesce(error, CASE outcome WHEN 'queued' THEN 'the daemon stopped before the run started' "
                    + "ELSE 'the daemon stopped during the run' END) WHERE outcome IN ('running', 'queued')"
            ).run(instant.timeIntervalSince1970)
        }
    }

    public func lastRuns() async throws -> [String: RunRecord] {
        try await database.run { db in
            let runs = try db.statement(
                "SELECT \(Self.runColumns) FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY routine)"
            ).all(row: Self.record)
            return Dictionary(runs.map { ($0.routine, $0) }, uniquingKeysWith: { _, last in last })
        }
    }

    /// Checks the database file (`PRAGMA integrity_check`); "ok" when sound.
    public func integrityCheck() throws -> String {
        // A connection of its own, on the caller's thread (WAL: it reads beside the store's).
        let db = try SQLiteConnection(path: path)
        return try db.statement("PRAGMA integrity_check").first { $0.text(0) } ?? "no answer"
    }

    /// The names of the migrations applied to the file, in the order they were.
    func appliedMigrations() async throws -> [String] {
        try await database.run { db in
            try db.statement("SELECT identifier FROM grdb_migrations ORDER BY rowid").all { $0.text(0) ?? "" }
        }
    }

    /// The schema as SQLite keeps it (`sqlite_master`: type, name, table and SQL of each object).
    func schema() async throws -> [String] {
        try await database.run { db in
            try db.statement("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all {
                [$0.text(0), $0.text(1), $0.text(2), $0.text(3)].map { $0 ?? "NULL" }.joined(separator: " | ")
            }
        }
    }

    /// The columns `record` reads, in its order.
    private static let runColumns = "id, routine, trigger, started_at, ended_at, outcome, error, steps"

    private static func record(_ row: SQLiteRow) -> RunRecord {
        let stepsText = row.text(7) ?? "[]"
        let steps = (try? JSONDecoder().decode([RunStep].self, from: Data(stepsText.utf8))) ?? []
        return RunRecord(
            id: row.int64(0), routine: row.text(1) ?? "", trigger: row.text(2) ?? "",
            startedAt: Date(timeIntervalSince1970: row.double(3) ?? 0),
            endedAt: row.double(4).map { Date(timeIntervalSince1970: $0) },
            outcome: row.text(5) ?? "", error: row.text(6), steps: steps)
    }
}

/// A state database problem, with the file and what failed.
public struct StateStoreError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// The database at `path` could not be opened or migrated; says what to do.
    init(opening path: String, _ error: any Error) {
        var message = "cannot open the state database \(path): \((error as? SQLiteError)?.detail ?? "\(error)")"
        if let error = error as? SQLiteError, error.isDamagedFile {
            message +=
                ". The file is damaged or is not a routines state database: move it away (the daemon "
                + "then starts with an empty history and default settings) or put back a backup"
        } else {
            message +=
                ". Check that the folder exists and that the daemon's user may write to it (or pick "
                + "another with --state DIR)"
        }
        self.init(message)
    }
}

/// The state database's one connection, on a thread of its own (`routines-history`): every query
/// of the store runs there in turn, as this actor's jobs or as the run writer's batches, so no
/// blocking SQLite call runs on the cooperative pool and the C handle never meets a second thread.
actor StateDatabase {
    nonisolated let executor = DedicatedThreadExecutor(name: "routines-history")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let connection: SQLiteConnection

    /// Opens and sets up the file, and migrates it (on the caller's thread, once at start-up).
    init(path: String) throws {
        let db = try SQLiteConnection(path: path)
        try db.setBusyTimeout(milliseconds: 5000)
        try db.refuseDoubleQuotedStrings()
        // Reads the schema: a file that is no database fails here, not at the first write.
        try db.statement("SELECT count(*) FROM sqlite_master").run()
        // WAL with synchronous=NORMAL: a committed transaction survives a crash or kill -9 of the daemon
        // (it is in the WAL file); only a power loss or kernel crash can roll back the last commits,
        // never corrupt the database.
        let mode = try db.statement("PRAGMA journal_mode = WAL").first { $0.text(0) }
        guard mode == "wal" else {
            throw SQLiteError(
                code: 1, function: "PRAGMA journal_mode = WAL", message: "the journal mode stayed \(mode ?? "unknown")",
                statement: nil, file: path)
        }
        try db.execute("PRAGMA synchronous = NORMAL")
        // A small page cache: the daemon's working set is tiny.
        try db.execute("PRAGMA cache_size = -256")
        try StateMigrations.migrate(db)
        connection = db
    }

    deinit {
        // Work still queued runs first (it holds this actor); then the thread ends.
        executor.shutdown(waiting: false)
    }

    /// Runs `body` with the connection on the thread.
    func run<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) throws -> T {
        try body(connection)
    }

    /// Runs `body` in one transaction on the thread.
    func write<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) throws -> T {
        try connection.transaction { try body(connection) }
    }
}

/// Schema changes, numbered; a shipped migration is never edited. The applied ones are listed in
/// `grdb_migrations` (the table GRDB's migrator kept before the store used SQLite directly), so
/// every existing state file carries on where it stood.
enum StateMigrations {
    /// Each migration's name and SQL, in order.
    static let all: [(name: String, sql: String)] = [
        (
            "v1",
            """
            CREATE TABLE "settings" ("key" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL);
            CREATE TABLE "fire_marks" ("key" TEXT PRIMARY KEY NOT NULL, "instant" DOUBLE NOT NULL);
            CREATE TABLE "runs" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "routine" TEXT NOT NULL, \
            "trigger" TEXT NOT NULL, "started_at" DOUBLE NOT NULL, "ended_at" DOUBLE, "outcome" TEXT NOT NULL, \
            "error" TEXT, "steps" TEXT NOT NULL DEFAULT '[]');
            CREATE INDEX "runs_by_routine" ON "runs"("routine", "id");
            """
        ),
        (
            "v2",
            // `routines enable` / `disable`: a routine's choice outlives restarts and file reloads.
            // Outcome names of the second wave: `error` became `failed`.
            """
            CREATE TABLE "routine_enabled" ("routine" TEXT PRIMARY KEY NOT NULL, "enabled" BOOLEAN NOT NULL);
            UPDATE runs SET outcome = 'failed' WHERE outcome = 'error';
            """
        ),
    ]

    /// Applies the migrations `db` lacks, each in a transaction of its own with its name.
    static func migrate(_ db: SQLiteConnection) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = Set(try db.statement("SELECT identifier FROM grdb_migrations").all { $0.text(0) ?? "" })
        for migration in all where !applied.contains(migration.name) {
            try db.transaction {
                try db.execute(migration.sql)
                try db.statement("INSERT INTO grdb_migrations (identifier) VALUES (?)").run(migration.name)
            }
        }
    }
}

/// Group commit of run rows on the database's thread: callers append their row and a completion;
/// the thread writes every row that is waiting in one transaction, in the order they came, and calls
/// each completion once its row is committed, while rows that arrive meanwhile wait for the next
/// transaction. The write never sees a caller's cancellation (a cancelled run is still recorded), and
/// an idle writer's thread sleeps in its executor's poll without a timeout (no wake-ups).
final class RunWriter: Sendable {
    typealias Done = @Sendable (Result<Int64, any Error>) -> Void
    private let database: StateDatabase
    private let keep: Int
    /// Rows waiting, and whether a write of them is queued on the thread.
    private let pending = Mutex<(rows: [(record: RunRecord, done: Done)], queued: Bool)>(([], false))

    init(database: StateDatabase, keep: Int) {
        self.database = database
        self.keep = keep
    }

    func enqueue(_ record: RunRecord, _ done: @escaping Done) {
        let queue = pending.withLock { pending in
            pending.rows.append((record, done))
            defer { pending.queued = true }
            return !pending.queued
        }
        if queue { database.executor.execute { [self] in writeWaitingRows() } }
    }

    /// On the thread: one transaction for every row waiting now.
    private func writeWaitingRows() {
        let batch = pending.withLock { pending in
            defer { pending = ([], false) }
            return pending.rows
        }
        let records = batch.map(\.record)
        let keep = keep
        let result = database.assumeIsolated { database in
            Result {
                try database.connection.transaction {
                    try SQLiteStateStore.write(records, keep: keep, in: database.connection)
                }
            }
        }
        switch result {
        case .success(let ids):
            for (entry, id) in zip(batch, ids) { entry.done(.success(id)) }
        case .failure(let error):
            for entry in batch { entry.done(.failure(error)) }
        }
    }
}
