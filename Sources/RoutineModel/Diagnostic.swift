/// A problem found in a routine or config file, printed as `routines validate` prints it.
///
/// Syntax errors carry a line and column (`FILE:LINE:COL: MESSAGE`); everything else carries the
/// JSON path of the offending value (`FILE: actions[2].tone.frequency: MESSAGE`).
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// Errors make a file invalid; warnings are printed but the file still loads.
    public enum Severity: String, Sendable, Equatable {
        case error, warning
    }

    public var severity: Severity
    /// The file as the user named it.
    public var file: String
    /// 1-based line of a syntax error.
    public var line: Int?
    /// 1-based column of a syntax error.
    public var column: Int?
    /// JSON path such as `triggers[0].at`; empty for the whole document.
    public var path: String?
    /// What is wrong and, where possible, what to do.
    public var message: String

    public init(
        severity: Severity = .error, file: String, line: Int? = nil, column: Int? = nil, path: String? = nil,
        message: String
    ) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        // Values quoted in messages come from the file: a 10 MB key must not become a 10 MB log line.
        self.path = path.map { InputLimits.cut(InputLimits.escaped($0), limit: 200) }
        self.message = InputLimits.cut(message)
    }

    public var description: String {
        let prefix = severity == .warning ? "warning: " : ""
        if let line, let column {
            return "\(file):\(line):\(column): \(prefix)\(message)"
        }
        if let path, !path.isEmpty {
            return "\(file): \(path): \(prefix)\(message)"
        }
        return "\(file): \(prefix)\(message)"
    }
}
