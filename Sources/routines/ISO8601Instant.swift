import FoundationEssentials
import Schedule

/// Parses the instants accepted by `--from`.
enum ISO8601Instant {
    /// `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM`, `±HHMM` or nothing (then local time in
    /// `zone`; a local time in a DST gap resolves to the instant after the gap). A space may replace `T`.
    static func parse(_ text: String, zone: ZoneRules) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ char: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == char else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2) else {
            return nil
        }
        var hour = 0
        var minute = 0
        var second = 0
        var fraction = 0.0
        if index < bytes.count {
            guard expect(84) || expect(32) || expect(116) else { return nil }
            guard let h = number(2), expect(58), let m = number(2) else { return nil }
            hour = h
            minute = m
            if expect(58) {
                guard let s = number(2) else { return nil }
                second = s
                if expect(46) || expect(44) {
                    var scale = 0.1
                    var digits = 0
                    while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                        fraction += Double(bytes[index] - 48) * scale
                        scale /= 10
                        index += 1
                        digits += 1
                    }
                    guard digits > 0 else { return nil }
                }
            }
        }
        guard (1...12).contains(month), (1...daysInMonth(year, month)).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let localSeconds = daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        var offset: Int?
        if index < bytes.count {
            if expect(90) || expect(122) {
                offset = 0
            } else {
                let sign: Int
                if expect(43) {
                    sign = 1
                } else if expect(45) {
                    sign = -1
                } else {
                    return nil
                }
                guard let oh = number(2) else { return nil }
                _ = expect(58)
                guard let om = number(2), oh < 24, om < 60 else { return nil }
                offset = sign * (oh * 3_600 + om * 60)
            }
            guard index == bytes.count else { return nil }
        }
        let seconds: Int
        if let offset {
            seconds = localSeconds - offset
        } else {
            seconds = resolveLocal(localSeconds, zone: zone)
        }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// The instant whose local time in `zone` is `localSeconds` (seconds since 1970-01-01 local);
    /// in a repeat the first occurrence, in a gap the first instant after it.
    static func resolveLocal(_ localSeconds: Int, zone: ZoneRules) -> Int {
        func offset(at seconds: Int) -> Int { zone.localTime(Date(timeIntervalSince1970: Double(seconds))).utcOffset }
        // Try the offsets in force a day before and after; prefer the earliest consistent instant.
        let candidates = Set([offset(at: localSeconds - 86_400), offset(at: localSeconds + 86_400)])
            .map { localSeconds - $0 }
            .filter { offset(at: $0) == localSeconds - $0 }
            .sorted()
        if let first = candidates.first { return first }
        // A gap: the local time does not exist; take the transition instant (the first valid one after).
        let before = localSeconds - offset(at: localSeconds - 86_400)
        let after = localSeconds - offset(at: localSeconds + 86_400)
        var low = min(before, after)
        var high = max(before, after)
        let early = offset(at: low)
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if offset(at: mid) == early { low = mid } else { high = mid }
        }
        return high
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
