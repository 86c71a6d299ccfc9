/// The bounds every routine and config file is held to (SPEC §10, Limits), so that no input can make
/// `validate` or the daemon spend unbounded time or memory.
public enum InputLimits {
    /// Largest routine or config file read (1 MiB); larger files are refused by size before parsing.
    public static let maxFileBytes = 1_048_576
    /// Most triggers one routine may have.
    public static let maxTriggers = 64
    /// Most actions one routine may have.
    public static let maxActions = 64
    /// Longest message kept in a diagnostic (and so in a log line); longer ones are cut in the middle.
    public static let maxMessageCharacters = 400

    /// "1 MiB (1048576 bytes)".
    static var fileLimitText: String { "1 MiB (\(maxFileBytes) bytes)" }

    /// Why a file of `size` bytes is refused: `the file is 2000000 bytes, larger than 1 MiB (1048576
    /// bytes), the most a routine or config file may have`.
    public static func sizeMessage(_ size: Int, limit: Int = maxFileBytes) -> String {
        let limitText = limit == maxFileBytes ? fileLimitText : "\(limit) bytes"
        return "the file is \(size) bytes, larger than \(limitText), the most a routine or config file may have"
    }

    /// `text` cut to at most `limit` characters, keeping its start and its end (where hints are).
    public static func cut(_ text: String, limit: Int = maxMessageCharacters) -> String {
        // utf8.count is O(1) for native strings: short texts cost nothing.
        guard text.utf8.count > limit else { return text }
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text }
        let head = limit * 5 / 8
        let tail = limit - head - 40
        let removed = scalars.count - head - tail
        var out = String(String.UnicodeScalarView(scalars.prefix(head)))
        out += "…(\(removed) characters cut)…"
        out += String(String.UnicodeScalarView(scalars.suffix(tail)))
        return out
    }

    /// A string as it may appear in a message: control characters (NUL included) escaped as in JSON.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return text }
        let literal = JSONText.string(text)
        return String(literal.dropFirst().dropLast())
    }
}
