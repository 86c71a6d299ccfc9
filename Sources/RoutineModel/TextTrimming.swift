extension StringProtocol {
    /// The text without the characters matching `predicate` at either end.
    public func trimming(while predicate: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !predicate($0) }), let last = lastIndex(where: { !predicate($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// The text without white space at either end, as Foundation's `trimmingCharacters(in:
    /// .whitespacesAndNewlines)` (Unicode White_Space and the zero-width space U+200B), which
    /// FoundationEssentials, all the daemon links, lacks.
    public func trimmingWhiteSpace() -> String { trimming { $0.isWhitespace || $0 == "\u{200B}" } }
}
