// API CONTRACT (stub): implemented by the routine-model work. Signatures may gain parameters with
// defaults, but callers elsewhere rely on these names.

/// The outcome of decoding one file: the value when there are no errors, and every diagnostic found.
public struct DecodeResult<Value: Sendable>: Sendable {
    /// Present when the file had no errors (warnings allowed).
    public var value: Value?
    /// Errors and warnings, in file order.
    public var diagnostics: [Diagnostic]
    public init(value: Value?, diagnostics: [Diagnostic]) {
        self.value = value
        self.diagnostics = diagnostics
    }
    /// The errors only.
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
}

/// Decodes and validates routine files (SPEC §3).
public enum RoutineDecoder {
    /// Decodes one routine file. `file` is the path as the user named it; the routine's name is its
    /// base name without `.json`. With a `config`, output names are checked against its outputs.
    public static func decode(_ bytes: [UInt8], file: String, config: Config? = nil) -> DecodeResult<Routine> {
        DecodeResult(value: nil, diagnostics: [Diagnostic(file: file, message: "not implemented")])
    }

    /// Decodes a single trigger object (for `routines next --trigger JSON`); `file` names the source
    /// in messages (e.g. `--trigger`).
    public static func decodeTrigger(_ bytes: [UInt8], file: String) -> DecodeResult<Trigger> {
        DecodeResult(value: nil, diagnostics: [Diagnostic(file: file, message: "not implemented")])
    }
}

/// Decodes and validates `config.json` (SPEC §4).
public enum ConfigDecoder {
    /// Decodes a config file; missing keys take their defaults.
    public static func decode(_ bytes: [UInt8], file: String) -> DecodeResult<Config> {
        DecodeResult(value: nil, diagnostics: [Diagnostic(file: file, message: "not implemented")])
    }
}

/// Routine names and which files in the routines folder count (SPEC §2).
public enum RoutineFileName {
    /// The routine name for a file name (`good-morning.json` → `good-morning`); nil for files that
    /// are not routines (wrong extension, ignored leftovers, or a name outside `[a-z0-9][a-z0-9._-]*`).
    public static func routineName(forFileName fileName: String) -> String? { nil }
    /// Editor and atomic-save leftovers: names starting with `.` or ending in `~`, `.swp`, `.tmp`.
    public static func isIgnored(_ fileName: String) -> Bool { false }
    /// Whether `name` matches `[a-z0-9][a-z0-9._-]*`.
    public static func isValidName(_ name: String) -> Bool { false }
}

/// Duration text: `250ms`, `2s`, `4m`, `1h30m`, or a number of seconds.
public enum DurationText {
    /// Parses a duration string; nil when malformed. Negative values only with `allowNegative`
    /// (sun offsets such as `-15m`).
    public static func parse(_ text: String, allowNegative: Bool = false) -> Duration? { nil }
    /// Formats a duration the way it is written in routine files (`1h30m`, `250ms`).
    public static func format(_ duration: Duration) -> String { "\(duration)" }
}
