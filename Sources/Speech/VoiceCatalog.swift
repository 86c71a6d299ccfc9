/// espeak-ng's voice list, searchable for "did you mean" suggestions.
///
/// Pure Swift: build it from `EspeakSynthesizer.voices()` (or any list in tests).
public struct VoiceCatalog: Sendable {
    /// The voices, as listed.
    public let voices: [Voice]

    /// One thing a user might have meant: a language code and how preferred its best voice is.
    private struct Candidate {
        var code: String
        var priority: Int
        /// Lower-cased words that describe it: the code, the voice file and the voice's name.
        var keys: Set<String>
    }

    private let candidates: [Candidate]

    /// Indexes `voices` by language code (voices that need MBROLA are left out: it is rarely installed).
    public init(voices: [Voice]) {
        self.voices = voices
        var byCode: [String: Candidate] = [:]
        for voice in voices where !voice.identifier.hasPrefix("mb/") {
            let fileName = voice.identifier.split(separator: "/").last.map(String.init) ?? voice.identifier
            // The name's first word is the language's English name (`English (America)`); later words
            // are often about something else (`Chinese (Mandarin, latin as English)`).
            let nameWords = voice.name.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            var words: Set<String> = [voice.name.lowercased()]
            if let first = nameWords.first { words.insert(String(first)) }
            words.insert(fileName.lowercased())
            for language in voice.languages where language.code != "variant" {
                let code = language.code.lowercased()
                var candidate = byCode[code] ?? Candidate(code: code, priority: language.priority, keys: [code])
                candidate.priority = min(candidate.priority, language.priority)
                candidate.keys.formUnion(words)
                byCode[code] = candidate
            }
        }
        candidates = byCode.values.sorted { $0.code < $1.code }
    }

    /// All language codes a routine may name, sorted.
    public var codes: [String] {
        candidates.map(\.code)
    }

    /// Up to `limit` language codes close to `name`, best first: by spelling (edit distance), by a
    /// shared prefix, or by the voice's name (`englsh` → `en`, `en-gb`, `en-us`).
    public func suggestions(for name: String, limit: Int = 3) -> [String] {
        let wanted = name.lowercased().split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        guard !wanted.isEmpty else { return [] }
        let tolerance = max(1, min(3, wanted.count / 3))
        var scored: [(score: Int, priority: Int, code: String)] = []
        for candidate in candidates {
            var best = Int.max
            for key in candidate.keys {
                best = min(best, Self.distance(wanted, key))
                // `englsh` starts with `en`; `en-u` is the start of `en-us`.
                if key.count >= 2, wanted.hasPrefix(key) || (wanted.count >= 2 && key.hasPrefix(wanted)) {
                    best = min(best, 1)
                }
            }
            if best <= tolerance {
                scored.append((best, candidate.priority, candidate.code))
            }
        }
        scored.sort {
            ($0.score, $0.priority, $0.code.count, $0.code) < ($1.score, $1.priority, $1.code.count, $1.code)
        }
        return scored.prefix(max(0, limit)).map(\.code)
    }

    /// Levenshtein distance between two strings, by Unicode scalar.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
