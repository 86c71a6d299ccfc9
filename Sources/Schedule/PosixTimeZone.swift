/// A POSIX `TZ` rule string such as `CET-1CEST,M3.5.0,M10.5.0/3` (the footer of a TZif v2+ file).
///
/// TZif tables end at some year (2037 in "fat" files, the last rule change in "slim" ones); the
/// footer says how the zone behaves forever after. Supports the RFC 8536 extensions: quoted names
/// (`<+1030>`), minute offsets (`-10:30`) and transition times outside 0–24 h (`/24`, `/-1`, `/167`).
struct PosixTimeZone: Sendable, Equatable {
    /// Offset from UTC east-positive in seconds while standard time is in effect.
    var standardOffset: Int
    /// Offset while daylight-saving time is in effect; nil for a zone without DST.
    var daylightOffset: Int?
    /// When DST starts (in standard local time) and ends (in daylight local time).
    var start = TransitionDate.monthWeekDay(month: 3, week: 2, weekday: 0)
    var startTime = 7200
    var end = TransitionDate.monthWeekDay(month: 11, week: 1, weekday: 0)
    var endTime = 7200

    /// A day of the year on which a transition happens.
    enum TransitionDate: Sendable, Equatable {
        /// `Jn`: day 1…365, 29 February never counted.
        case julianNoLeap(Int)
        /// `n`: day 0…365, 29 February counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (1…5, 5 = last) of month `m`.
        case monthWeekDay(month: Int, week: Int, weekday: Int)

        /// Day number (days since 1970-01-01) of this date in `year`.
        func days(in year: Int) -> Int {
            let jan1 = CivilDate.days(year: year, month: 1, day: 1)
            switch self {
            case .julianNoLeap(let n):
                return jan1 + n - 1 + (CivilDate.isLeapYear(year) && n >= 60 ? 1 : 0)
            case .zeroBased(let n):
                return jan1 + n
            case .monthWeekDay(let month, let week, let weekday):
                let first = CivilDate.days(year: year, month: month, day: 1)
                var day = first + (weekday - CivilDate.weekday(days: first) + 7) % 7 + (week - 1) * 7
                let length = CivilDate.daysInMonth(year: year, month: month)
                while day >= first + length { day -= 7 }
                return day
            }
        }
    }

    /// Parses a POSIX TZ string; nil when malformed.
    init?(parsing text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.skipName(), let std = scanner.offset(), abs(std) <= 25 * 3600 else { return nil }
        standardOffset = -std
        if scanner.atEnd { return }
        guard scanner.skipName() else { return nil }
        if let dst = scanner.offset() {
            guard abs(dst) <= 25 * 3600 else { return nil }
            daylightOffset = -dst
        } else {
            daylightOffset = standardOffset + 3600
        }
        if scanner.atEnd { return }  // no rule given: POSIX leaves it open, use the US default
        guard scanner.take(UInt8(ascii: ",")), let start = scanner.date() else { return nil }
        self.start = start
        if scanner.take(UInt8(ascii: "/")) {
            guard let time = scanner.offset(), abs(time) <= 167 * 3600 else { return nil }
            startTime = time
        }
        guard scanner.take(UInt8(ascii: ",")), let end = scanner.date() else { return nil }
        self.end = end
        if scanner.take(UInt8(ascii: "/")) {
            guard let time = scanner.offset(), abs(time) <= 167 * 3600 else { return nil }
            endTime = time
        }
        guard scanner.atEnd else { return nil }
    }

    /// The UTC instants at which DST starts and ends in `year`.
    func transitions(in year: Int) -> (start: Int, end: Int)? {
        guard let daylightOffset else { return nil }
        let start = start.days(in: year) * 86_400 + startTime - standardOffset
        let end = end.days(in: year) * 86_400 + endTime - daylightOffset
        return (start, end)
    }

    /// The constant-offset period containing the UTC instant `t`.
    func period(at t: Int) -> OffsetPeriod {
        guard let daylightOffset else { return OffsetPeriod(start: .min, end: .max, offset: standardOffset) }
        let year = LocalFields(localSeconds: t + standardOffset).year
        // The latest transition at or before t and the earliest after it, among three years of them.
        var before = (time: Int.min, offset: standardOffset)
        var after = Int.max
        func consider(_ time: Int, _ offset: Int) {
            if time <= t {
                if time > before.time { before = (time, offset) }
            } else if time < after {
                after = time
            }
        }
        for y in (year - 1)...(year + 1) {
            guard let pair = transitions(in: y) else { continue }
            consider(pair.start, daylightOffset)
            consider(pair.end, standardOffset)
        }
        return OffsetPeriod(start: before.time, end: after, offset: before.offset)
    }
}

/// A span of instants `[start, end)` (UTC seconds) during which a zone's offset is constant.
struct OffsetPeriod: Sendable, Equatable {
    var start: Int
    var end: Int
    /// Offset from UTC, east-positive seconds.
    var offset: Int
}

/// Byte scanner for the POSIX TZ grammar.
private struct Scanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// A zone abbreviation: `<...>` or three or more letters.
    mutating func skipName() -> Bool {
        if take(UInt8(ascii: "<")) {
            while let byte = peek, byte != UInt8(ascii: ">") { index += 1 }
            return take(UInt8(ascii: ">"))
        }
        let begin = index
        while let byte = peek, (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "z") { index += 1 }
        return index - begin >= 3
    }

    mutating func number() -> Int? {
        let begin = index
        var value = 0
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), index - begin < 4 {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            index += 1
        }
        return index > begin ? value : nil
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (the sign as written: positive means west of UTC for offsets).
    mutating func offset() -> Int? {
        var sign = 1
        if take(UInt8(ascii: "-")) {
            sign = -1
        } else {
            _ = take(UInt8(ascii: "+"))
        }
        guard let hours = number() else { return nil }
        var seconds = hours * 3600
        if take(UInt8(ascii: ":")) {
            guard let minutes = number() else { return nil }
            seconds += minutes * 60
            if take(UInt8(ascii: ":")) {
                guard let secs = number() else { return nil }
                seconds += secs
            }
        }
        return sign * seconds
    }

    mutating func date() -> PosixTimeZone.TransitionDate? {
        if take(UInt8(ascii: "J")) {
            guard let n = number(), (1...365).contains(n) else { return nil }
            return .julianNoLeap(n)
        }
        if take(UInt8(ascii: "M")) {
            guard let m = number(), take(UInt8(ascii: ".")), let w = number(), take(UInt8(ascii: ".")),
                let d = number(), (1...12).contains(m), (1...5).contains(w), (0...6).contains(d)
            else { return nil }
            return .monthWeekDay(month: m, week: w, weekday: d)
        }
        guard let n = number(), (0...365).contains(n) else { return nil }
        return .zeroBased(n)
    }
}
