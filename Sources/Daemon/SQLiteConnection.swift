import CSQLite

/// A failed SQLite call: the C function, SQLite's own message and extended result code, the
/// statement it ran (when there was one) and the database file.
public struct SQLiteError: Error, CustomStringConvertible {
    /// SQLite's extended result code (`SQLITE_CORRUPT`, `SQLITE_NOTADB`, `SQLITE_BUSY`, ...).
    public let code: Int32
    public let function: String
    public let message: String
    public let statement: String?
    public let file: String

    public var description: String { "\(file): \(detail)" }

    /// The description without the file.
    public var detail: String {
        let sql = statement.map { " running `\($0)`" } ?? ""
        return "\(function)\(sql): \(message) (SQLite code \(code))"
    }

    /// The file is damaged or is no SQLite database at all (not a passing problem such as a lock).
    var isDamagedFile: Bool {
        let primary = code & 0xff
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }
}

/// A value bound to a `?` of a statement.
protocol SQLiteArgument {
    /// Calls the matching `sqlite3_bind_*`; returns its result code.
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension String: SQLiteArgument {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_text(statement, index, self, -1, routines_sqlite_transient())
    }
}

extension Int64: SQLiteArgument {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self) }
}

extension Int: SQLiteArgument {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
}

extension Double: SQLiteArgument {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_double(statement, index, self) }
}

extension Bool: SQLiteArgument {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, self ? 1 : 0)
    }
}

extension Optional: SQLiteArgument where Wrapped: SQLiteArgument {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}

/// One open SQLite database (libsqlite3, opened `SQLITE_OPEN_NOMUTEX`). Not thread-safe: its owner
/// uses it from one thread at a time, and the C handles never leave this file. Prepared statements
/// are kept for the connection's life, one per SQL text.
final class SQLiteConnection {
    /// The database file.
    let path: String
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating when missing) the database at `path`, with extended result codes.
    init(path: String) throws(SQLiteError) {
        self.path = path
        var pointer: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            // Even a failed open may allocate a handle, which carries the message.
            let message = String(cString: pointer.map { sqlite3_errmsg($0) } ?? sqlite3_errstr(code))
            sqlite3_close_v2(pointer)
            throw SQLiteError(code: code, function: "sqlite3_open_v2", message: message, statement: nil, file: path)
        }
        handle = pointer
    }

    deinit {
        statements = [:]  // finalized before the handle closes
        // sqlite3_close_v2 fails only with statements left unfinalized, and every one is ours.
        sqlite3_close_v2(handle)
    }

    /// Waits up to `milliseconds` for another connection's lock instead of failing with SQLITE_BUSY.
    func setBusyTimeout(milliseconds: Int32) throws(SQLiteError) {
        try check(sqlite3_busy_timeout(handle, milliseconds), "sqlite3_busy_timeout")
    }

    /// Refuses double-quoted string literals (a misquoted identifier is an error, not a string).
    func refuseDoubleQuotedStrings() throws(SQLiteError) {
        try check(routines_sqlite_strict_quotes(handle), "sqlite3_db_config(SQLITE_DBCONFIG_DQS_*)")
    }

    /// Runs `sql` (one or more statements, no arguments, rows ignored).
    func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            throw SQLiteError(code: code, function: "sqlite3_exec", message: text, statement: sql, file: path)
        }
    }

    /// The prepared statement for `sql` (prepared once, then reused).
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else {
            sqlite3_finalize(pointer)
            throw error(code, "sqlite3_prepare_v3", sql)
        }
        let statement = SQLiteStatement(pointer, sql: sql, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE`: the write lock is taken, or waited for,
    /// up front): committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try statement("BEGIN IMMEDIATE").run()
        let value: T
        do {
            value = try body()
        } catch {
            // A failed COMMIT or statement may have ended the transaction already.
            if sqlite3_get_autocommit(handle) == 0 { try? statement("ROLLBACK").run() }
            throw error
        }
        try statement("COMMIT").run()
        return value
    }

    /// The rowid of the last row inserted on this connection.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Throws unless `code` is SQLITE_OK.
    func check(_ code: Int32, _ function: String, _ sql: String? = nil) throws(SQLiteError) {
        guard code == SQLITE_OK else { throw error(code, function, sql) }
    }

    /// The error of the call that just returned `code`, with SQLite's message for it.
    func error(_ code: Int32, _ function: String, _ sql: String?) -> SQLiteError {
        SQLiteError(
            code: code, function: function, message: String(cString: sqlite3_errmsg(handle)), statement: sql, file: path
        )
    }
}

/// A prepared statement of one `SQLiteConnection` (same thread rules): bind the arguments, step
/// through the rows, reset for the next use.
final class SQLiteStatement {
    private let pointer: OpaquePointer
    let sql: String
    private unowned let connection: SQLiteConnection

    fileprivate init(_ pointer: OpaquePointer, sql: String, connection: SQLiteConnection) {
        self.pointer = pointer
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(pointer) }

    /// Runs the statement to its end with `arguments` for its `?`s.
    func run(_ arguments: any SQLiteArgument...) throws(SQLiteError) {
        try rows(arguments) { _ in }
    }

    /// The rows for `arguments`, each made by `row` while it is current.
    func all<T>(_ arguments: any SQLiteArgument..., row: (SQLiteRow) -> T) throws(SQLiteError) -> [T] {
        var values: [T] = []
        try rows(arguments) { values.append(row($0)) }
        return values
    }

    /// What `row` makes of the first row for `arguments`; nil when there is no row.
    func first<T>(_ arguments: any SQLiteArgument..., row: (SQLiteRow) -> T?) throws(SQLiteError) -> T? {
        var value: T?
        var seen = false
        try rows(arguments) {
            if !seen { value = row($0) }
            seen = true
        }
        return value
    }

    private func rows(_ arguments: [any SQLiteArgument], _ each: (SQLiteRow) -> Void) throws(SQLiteError) {
        // The reset's result repeats the last step's, which was already reported.
        defer { sqlite3_reset(pointer) }
        for (offset, argument) in arguments.enumerated() {
            try connection.check(argument.bind(to: pointer, at: Int32(offset + 1)), "sqlite3_bind", sql)
        }
        while true {
            let code = sqlite3_step(pointer)
            switch code {
            case SQLITE_ROW: each(SQLiteRow(pointer: pointer))
            case SQLITE_DONE: return
            default: throw connection.error(code, "sqlite3_step", sql)
            }
        }
    }
}

/// The current row of a statement, read by column index (valid only inside the row callback).
struct SQLiteRow {
    fileprivate let pointer: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(pointer, column) == SQLITE_NULL }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(pointer, column) else { return nil }
        let count = Int(sqlite3_column_bytes(pointer, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func double(_ column: Int32) -> Double? { isNull(column) ? nil : sqlite3_column_double(pointer, column) }

    func int64(_ column: Int32) -> Int64? { isNull(column) ? nil : sqlite3_column_int64(pointer, column) }
}
