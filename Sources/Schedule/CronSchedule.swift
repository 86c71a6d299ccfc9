import RoutineModel

/// Wall-clock matching for a cron expression: the next local time (seconds, read as if UTC) whose
/// fields all match, found by jumping field by field over bit sets, never second by second.
struct CronSchedule: Sendable {
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    /// The hour is a single value: SPEC §3's fixed-time DST rule applies.
    let hourIsFixed: Bool
    /// False when no calendar date can ever match (`0 0 31 2 *`), so searches end at once.
    let canMatch: Bool

    init(_ expression: CronExpression) {
        seconds = expression.seconds & (1 << 60 - 1)
        minutes = expression.minutes & (1 << 60 - 1)
        hours = UInt64(expression.hours) & (1 << 24 - 1)
        dayOfMonthRestricted = expression.dayOfMonthRestricted
        dayOfWeekRestricted = expression.dayOfWeekRestricted
        hourIsFixed = expression.hourIsFixed
        months = UInt64(expression.months) & 0x1FFE
        // An unrestricted field allows everything, even if its bits were left empty.
        let dom = UInt64(expression.daysOfMonth) & 0xFFFF_FFFE
        daysOfMonth = dom == 0 && !dayOfMonthRestricted ? 0xFFFF_FFFE : dom
        // Day of week 7 is Sunday too.
        let dow = UInt64(expression.daysOfWeek & 0x7F | (expression.daysOfWeek >> 7 & 1))
        daysOfWeek = dow == 0 && !dayOfWeekRestricted ? 0x7F : dow

        canMatch = expression.canFire
    }

    /// The matching days (bit n = day n) of `month` in `year`, whose first day is day number `first`.
    func dayMask(year: Int, month: Int, first: Int) -> UInt64 {
        let length = CivilDate.daysInMonth(year: year, month: month)
        let valid: UInt64 = (1 << UInt64(length + 1)) - 2
        if daysOfWeek == 0x7F && !(dayOfMonthRestricted && dayOfWeekRestricted) { return daysOfMonth & valid }
        let firstWeekday = CivilDate.weekday(days: first)
        var byWeekday: UInt64 = 0
        var weekdays = daysOfWeek
        while weekdays != 0 {
            let weekday = weekdays.trailingZeroBitCount
            weekdays &= weekdays - 1
            let firstDay = (weekday - firstWeekday + 7) % 7 + 1
            byWeekday |= 0x1020_4081 << UInt64(firstDay)  // that day and every 7th after it
        }
        // cron's rule: when both fields are restricted either may match, else both must (a `*` allows all).
        let both = dayOfMonthRestricted && dayOfWeekRestricted
        return (both ? byWeekday | daysOfMonth : byWeekday & daysOfMonth) & valid
    }

    /// The earliest matching local time at or after `start`, or nil when none falls on a day up to `lastDay`.
    func nextLocal(from start: Int, lastDay: Int) -> Int? {
        guard canMatch else { return nil }
        let fields = LocalFields(localSeconds: start)
        var year = fields.year
        var month = fields.month
        var day = fields.day
        var hour = fields.hour
        var minute = fields.minute
        var second = fields.second
        var maskKey = -1
        var mask: UInt64 = 0
        var firstOfMonth = 0
        while true {
            if months >> UInt64(month) & 1 == 0 {
                if let next = nextBit(months, from: month + 1) {
                    month = next
                } else {
                    year += 1
                    month = months.trailingZeroBitCount
                }
                day = 1
                hour = 0
                minute = 0
                second = 0
            }
            if maskKey != year * 16 + month {
                maskKey = year * 16 + month
                firstOfMonth = CivilDate.days(year: year, month: month, day: 1)
                if firstOfMonth > lastDay { return nil }
                mask = dayMask(year: year, month: month, first: firstOfMonth)
            }
            guard let nextDay = nextBit(mask, from: day) else {
                month += 1
                if month > 12 {
                    month = 1
                    year += 1
                }
                day = 1
                hour = 0
                minute = 0
                second = 0
                continue
            }
            if nextDay != day {
                day = nextDay
                hour = 0
                minute = 0
                second = 0
            }
            if firstOfMonth + day - 1 > lastDay { return nil }
            guard let nextHour = nextBit(hours, from: hour) else {
                day += 1
                hour = 0
                minute = 0
                second = 0
                continue
            }
            if nextHour != hour {
                hour = nextHour
                minute = 0
                second = 0
            }
            guard let nextMinute = nextBit(minutes, from: minute) else {
                hour += 1
                minute = 0
                second = 0
                continue
            }
            if nextMinute != minute {
                minute = nextMinute
                second = 0
            }
            guard let nextSecond = nextBit(seconds, from: second) else {
                minute += 1
                second = 0
                continue
            }
            return (firstOfMonth + day - 1) * 86_400 + hour * 3600 + minute * 60 + nextSecond
        }
    }
}

/// The lowest set bit of `mask` at position `from` or above.
@inline(__always)
func nextBit(_ mask: UInt64, from position: Int) -> Int? {
    guard position < 64 else { return nil }
    let rest = mask >> UInt64(position)
    return rest == 0 ? nil : position + rest.trailingZeroBitCount
}
