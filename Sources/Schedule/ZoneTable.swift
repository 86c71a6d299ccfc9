/// A zone's offset history as constant-offset periods: a transition table, then a POSIX rule.
final class ZoneTable: Sendable {
    let transitions: [Int]
    let offsets: [Int]
    let initialOffset: Int
    let rule: PosixTimeZone?

    init(_ tzif: TZif) {
        transitions = tzif.transitions
        offsets = tzif.offsets
        initialOffset = tzif.initialOffset
        rule = tzif.footer
    }

    init(fixedOffset: Int) {
        transitions = []
        offsets = []
        initialOffset = fixedOffset
        rule = nil
    }

    init(rule: PosixTimeZone) {
        transitions = []
        offsets = []
        initialOffset = rule.standardOffset
        self.rule = rule
    }

    /// The constant-offset period containing the UTC instant `t`.
    func period(at t: Int) -> OffsetPeriod {
        let count = transitions.count
        if count == 0 || t >= transitions[count - 1] {
            let start = count == 0 ? Int.min : transitions[count - 1]
            guard let rule else {
                return OffsetPeriod(start: start, end: .max, offset: count == 0 ? initialOffset : offsets[count - 1])
            }
            var period = rule.period(at: t)
            if period.start < start { period.start = start }
            return period
        }
        if t < transitions[0] { return OffsetPeriod(start: .min, end: transitions[0], offset: initialOffset) }
        // Largest i with transitions[i] <= t; here 0 <= i < count - 1.
        var low = 0
        var high = count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if transitions[mid] <= t { low = mid } else { high = mid }
        }
        return OffsetPeriod(start: transitions[low], end: transitions[low + 1], offset: offsets[low])
    }

    /// The earliest instant showing the wall time `local` (seconds, read as if UTC), or, when that
    /// wall time is skipped by a forward jump, the first instant after the gap.
    ///
    /// This is SPEC §3's rule for fixed-time fires: once, at the first occurrence in a fall-back
    /// repeat, and at the first valid instant after a spring-forward gap.
    func firstInstant(local: Int) -> Int {
        // No offset exceeds 26 h, so the period containing local - 27 h starts before any answer.
        var period = self.period(at: local &- 27 * 3600)
        while true {
            let t = local - period.offset
            if t < period.start { return period.start }  // local fell into the gap before this period
            if t < period.end { return t }
            period = self.period(at: period.end)
        }
    }
}
