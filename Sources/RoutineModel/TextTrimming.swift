extension StringProtocol {
    /// The text without the characters matching `predicate` at either end.
    public func trimming(while predicate: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !predicate($0) }), let last = lastIndex(where: { !predicate($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// The text without white space (Unicode White_Space: spaces, tabs, line breaks) at either end;
    /// FoundationEssentials, all the daemon links, has no `trimmingCharacters(in:)`.
    public func trimmingWhiteSpace() -> String { trimming(while: \.isWhitespace) }
}
