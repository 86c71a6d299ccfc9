#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// "Did you mean" for a mistyped zone name, from the names listed in the zone folder's `tzdata.zi`.
enum ZoneNameHint {
    /// The closest known zone name to `name` (case-insensitive, at most 3 edits), if any.
    static func suggestion(for name: String, directory: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: directory + "/tzdata.zi")) else { return nil }
        let wanted = Array(name.lowercased().utf8)
        var best: (name: String, distance: Int)?
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // `Z NAME ...` declares a zone, `L TARGET NAME` a link (an alias such as US/Eastern).
            let fields = line.split(separator: " ", maxSplits: 3)
            let candidate: Substring
            if fields.count >= 2, fields[0] == "Z" {
                candidate = fields[1]
            } else if fields.count >= 3, fields[0] == "L" {
                candidate = fields[2]
            } else {
                continue
            }
            let distance = editDistance(wanted, Array(candidate.lowercased().utf8), limit: 3)
            if distance <= 3, distance < best?.distance ?? .max { best = (String(candidate), distance) }
        }
        return best?.name
    }

    /// Levenshtein distance, or a value above `limit` as soon as it is certain to exceed it.
    static func editDistance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
