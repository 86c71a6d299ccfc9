#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ZoneRules {
    /// ISO 8601 with the zone's UTC offset: `2025-03-30T03:00:00+02:00`.
    public func iso8601(_ instant: Date) -> String {
        let local = localTime(instant)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var year = String(abs(local.year))
        while year.count < 4 { year = "0" + year }
        if local.year < 0 { year = "-" + year }
        let magnitude = abs(local.utcOffset)
        var offset = (local.utcOffset < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude / 60 % 60)
        if magnitude % 60 != 0 { offset += ":" + two(magnitude % 60) }
        return "\(year)-\(two(local.month))-\(two(local.day))T\(two(local.hour)):\(two(local.minute)):"
            + "\(two(local.second))\(offset)"
    }

    /// The instant of a wall-clock reading in this zone; a time skipped by a forward jump gives the
    /// first instant after the gap, a repeated one its first occurrence (as fixed-time fires do).
    public func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int = 0) -> Date {
        let local = CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(table.firstInstant(local: local)))
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS]` (a space may replace `T`) followed by `Z`, `±HH:MM`, `±HHMM`,
    /// `±HH`, or nothing, which reads the time in this zone; nil when malformed or out of range.
    public func parseISO8601(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }
        func take(_ char: Character) -> Bool {
            guard index < bytes.count, bytes[index] == char.asciiValue else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
            take("T") || take("t") || take(" "), let hour = digits(2), take(":"), let minute = digits(2)
        else { return nil }
        let second = take(":") ? digits(2) : 0
        guard let second, (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let local = CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        if index == bytes.count { return Date(timeIntervalSince1970: Double(table.firstInstant(local: local))) }
        if take("Z") || take("z") {
            return index == bytes.count ? Date(timeIntervalSince1970: Double(local)) : nil
        }
        let sign: Int
        if take("+") {
            sign = 1
        } else if take("-") {
            sign = -1
        } else {
            return nil
        }
        guard let offsetHours = digits(2), offsetHours < 24 else { return nil }
        var offsetMinutes = 0
        if index < bytes.count {
            _ = take(":")
            guard let minutes = digits(2), minutes < 60 else { return nil }
            offsetMinutes = minutes
        }
        guard index == bytes.count else { return nil }
        return Date(timeIntervalSince1970: Double(local - sign * (offsetHours * 3600 + offsetMinutes * 60)))
    }
}
