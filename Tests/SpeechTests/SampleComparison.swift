import Engine

/// A short description of how two renderings differ, or nil when they are equal
/// (so a failing expectation does not print a million samples).
func difference(_ ours: PCMSamples, _ reference: PCMSamples) -> String? {
    if ours == reference { return nil }
    let common = min(ours.samples.count, reference.samples.count)
    let firstDiff = zip(ours.samples, reference.samples).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    let differing = zip(ours.samples.prefix(common), reference.samples.prefix(common)).filter { $0 != $1 }.count
    return
        "\(ours.samples.count) vs \(reference.samples.count) samples at \(ours.sampleRate)/\(reference.sampleRate) Hz, "
        + "\(differing) of \(common) differ, first at \(firstDiff.map(String.init) ?? "-")"
}

/// The shape of an utterance: how long it is, how loud, and where it pauses.
///
/// libespeak-ng keeps state between utterances (the pitch-flutter phase is a function-static
/// variable in `AdvanceParameters`; timing depends a little on the previous utterance),
/// so only the first synthesis in a process is sample-identical to `espeak-ng --stdout`. Later
/// renderings of the same request have the same words and pauses; measured over 600 randomly
/// preceded renderings, length varied by up to 3 %, RMS by up to 1.5 % and pause starts by up to
/// 90 ms. This compares what stays the same, with margins above those.
struct SpeechShape: CustomStringConvertible {
    var samples: Int
    var rms: Double
    /// Silences of at least 20 ms between sounds: (start, end) in samples.
    var pauses: [(Int, Int)]

    init(_ samples: [Int16], sampleRate: Int) {
        self.samples = samples.count
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        rms = (sum / Double(max(1, samples.count))).squareRoot()
        let minimum = sampleRate / 50
        var found: [(Int, Int)] = []
        var start: Int?
        let firstSound = samples.firstIndex { abs(Int32($0)) >= 64 } ?? samples.count
        for index in firstSound..<samples.count {
            if abs(Int32(samples[index])) < 64 {
                if start == nil { start = index }
            } else if let begun = start {
                if index - begun >= minimum { found.append((begun, index)) }
                start = nil
            }
        }
        pauses = found
    }

    var description: String {
        "\(samples) samples, RMS \(Int(rms)), pauses at \(pauses.map { "\($0.0)–\($0.1)" }.joined(separator: ", "))"
    }

    /// Nil when `self` is near-identical to `reference`, else what differs.
    func mismatch(_ reference: SpeechShape, sampleRate: Int) -> String? {
        let lengthRatio = Double(samples) / Double(reference.samples)
        if abs(lengthRatio - 1) > 0.05 {
            return "length \(samples) vs \(reference.samples) (\(lengthRatio))"
        }
        if abs(rms / reference.rms - 1) > 0.10 {
            return "RMS \(rms) vs \(reference.rms)"
        }
        if pauses.count != reference.pauses.count {
            return "\(pauses.count) pauses vs \(reference.pauses.count): \(self) / \(reference)"
        }
        let slack = sampleRate / 5
        for (ours, theirs) in zip(pauses, reference.pauses) where abs(ours.0 - theirs.0) > slack {
            return "a pause starts at \(ours.0) instead of \(theirs.0): \(self) / \(reference)"
        }
        return nil
    }
}
