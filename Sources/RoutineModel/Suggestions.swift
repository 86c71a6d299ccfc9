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

    /// The candidate closest to `word`, if it is close enough to be a likely typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word, candidate)
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        let limit = max(1, min(3, (max(word.count, candidate.count) + 1) / 3))
        if d <= limit { return candidate }
        // A prefix or case variant ("Days" for "days", "freq" for "frequency").
        if candidate.lowercased().hasPrefix(word.lowercased()) && word.count >= 3 { return candidate }
        return nil
    }

    /// "; did you mean 'x'?" or "; allowed: a, b, c".
    public static func hint(for word: String, in candidates: [String]) -> String {
        if let match = closest(to: word, in: candidates) {
            return "; did you mean '\(match)'?"
        }
        return "; allowed: " + candidates.joined(separator: ", ")
    }
}
