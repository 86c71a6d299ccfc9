/// "Did you mean" hints for misspelled keys and values.
public enum Suggestions {
    /// The edit distance between two strings (case-insensitive), counting a swap of two neighbouring
    /// letters as one edit (optimal string alignment), so "gian" is one edit from "gain".
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().unicodeScalars)
        let y = Array(b.lowercased().unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var beforePrevious = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[y.count]
    }

    /// Words longer than this get no suggestion: no key or value we know is that long, and the cost
    /// of comparing stays bounded whatever a file holds.
    public static let maxWordLength = 64

    /// The candidate closest to `word`, if it is close enough to be a likely typo. Only candidates of
    /// similar length are compared (the distance is at least the difference in length), so a huge
    /// word costs one length check per candidate.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        // utf8.count is O(1) for native strings; a word of more bytes than 4 × the cap is too long.
        guard word.utf8.count <= 4 * maxWordLength else { return nil }
        let wordLength = word.unicodeScalars.count
        guard wordLength <= maxWordLength else { return nil }
        var best: (String, Int)?
        for candidate in candidates {
            let candidateLength = candidate.unicodeScalars.count
            let limit = max(1, min(3, (max(wordLength, candidateLength) + 1) / 3))
            if abs(candidateLength - wordLength) > limit { continue }
            let d = distance(word, candidate)
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        if let (candidate, _) = best { return candidate }
        // A prefix or case variant ("Days" for "days", "freq" for "frequency").
        if wordLength >= 3, let candidate = candidates.first(where: { $0.lowercased().hasPrefix(word.lowercased()) }) {
            return candidate
        }
        return nil
    }

    /// "; did you mean 'x'?" or "; allowed: a, b, c".
    public static func hint(for word: String, in candidates: [String]) -> String {
        if let match = closest(to: word, in: candidates) {
            return "; did you mean '\(match)'?"
        }
        return "; allowed: " + InputLimits.cut(candidates.joined(separator: ", "), limit: 200)
    }
}
