import RoutineModel

/// Wall-clock matching for an `at` trigger: one time of day, optionally only on some weekdays.
///
/// Always a fixed-time schedule for SPEC §3's DST rule.
struct AtSchedule: Sendable {
    let secondOfDay: Int
    /// Bit n = weekday n (0 = Sunday) allowed.
    let weekdays: UInt8

    init(time: TimeOfDay, days: Set<Weekday>?) {
        secondOfDay = time.secondsOfDay
        weekdays = days.map { $0.reduce(0) { $0 | 1 << UInt8($1.rawValue) } } ?? 0x7F
    }

    /// The earliest matching local time at or after `start`; nil when no weekday is allowed.
    func nextLocal(from start: Int) -> Int? {
        guard weekdays != 0 else { return nil }
        var day = CivilDate.floorDiv(start, 86_400)
        if start - day * 86_400 > secondOfDay { day += 1 }
        while weekdays >> UInt8(CivilDate.weekday(days: day)) & 1 == 0 { day += 1 }
        return day * 86_400 + secondOfDay
    }
}
