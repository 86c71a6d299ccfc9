import RoutineModel

/// A small cron text parser for these tests only, so the schedule tests do not wait for the model's
/// parser (`CronExpression(parsing:)`); it trusts its input and crashes the test on nonsense.
enum TestCron {
    static func parse(_ text: String) -> CronExpression {
        let macros = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        var fields = (macros[text] ?? text).split(separator: " ").map(String.init)
        if fields.count == 5 { fields.insert("0", at: 0) }
        precondition(fields.count == 6, "bad cron: \(text)")
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        return CronExpression(
            source: text,
            seconds: bits(fields[0], 0...59, names: []),
            minutes: bits(fields[1], 0...59, names: []),
            hours: UInt32(bits(fields[2], 0...23, names: [])),
            daysOfMonth: UInt32(bits(fields[3], 1...31, names: [])),
            months: UInt16(bits(fields[4], 1...12, names: monthNames, nameBase: 1)),
            daysOfWeek: UInt8(truncatingIfNeeded: normalizeSunday(bits(fields[5], 0...7, names: dayNames))),
            dayOfMonthRestricted: !fields[3].hasPrefix("*"),
            dayOfWeekRestricted: !fields[5].hasPrefix("*"),
            hourIsFixed: Int(fields[2]) != nil)
    }

    private static func normalizeSunday(_ mask: UInt64) -> UInt64 {
        (mask & 0x7F) | (mask >> 7 & 1)
    }

    private static func value(_ text: Substring, names: [String], nameBase: Int) -> Int {
        if let n = Int(text) { return n }
        guard let index = names.firstIndex(of: text.lowercased()) else { preconditionFailure("bad value \(text)") }
        return index + nameBase
    }

    private static func bits(_ field: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0)
        -> UInt64
    {
        var mask: UInt64 = 0
        for item in field.split(separator: ",") {
            let parts = item.split(separator: "/")
            let step = parts.count == 2 ? Int(parts[1])! : 1
            var low = range.lowerBound
            var high = range.upperBound
            if parts[0] != "*" {
                let bounds = parts[0].split(separator: "-")
                low = value(bounds[0], names: names, nameBase: nameBase)
                high =
                    bounds.count == 2
                    ? value(bounds[1], names: names, nameBase: nameBase) : (parts.count == 2 ? range.upperBound : low)
            }
            for v in stride(from: low, through: high, by: step) { mask |= 1 << UInt64(v) }
        }
        return mask
    }
}
