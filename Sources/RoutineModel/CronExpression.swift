/// A parsed cron expression: 5 fields (min hour dom mon dow) or 6 with seconds first, or an `@` macro.
///
/// Each field is stored as a bit set of the values it allows. `hourIsFixed` records whether the hour
/// field is a single value, which decides the daylight-saving rule (SPEC §3): fixed-time fires run once
/// in a gap or a repeat, wildcard or stepped hours fire at every real matching instant.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The text as written in the routine file.
    public var source: String
    /// Allowed seconds, bit n = second n (0–59). A 5-field expression allows only second 0.
    public var seconds: UInt64
    /// Allowed minutes, bit n = minute n (0–59).
    public var minutes: UInt64
    /// Allowed hours, bit n = hour n (0–23).
    public var hours: UInt32
    /// Allowed days of the month, bit n = day n (1–31).
    public var daysOfMonth: UInt32
    /// Allowed months, bit n = month n (1–12).
    public var months: UInt16
    /// Allowed weekdays, bit n = weekday n (0 = Sunday … 6 = Saturday; 7 in the text means Sunday).
    public var daysOfWeek: UInt8
    /// The day-of-month field was not `*` (cron's dom/dow rule: when both are restricted, either matches).
    public var dayOfMonthRestricted: Bool
    /// The day-of-week field was not `*`.
    public var dayOfWeekRestricted: Bool
    /// The hour field is a single value (as in `0 7 * * *`), so DST gap/repeat rules for fixed times apply.
    public var hourIsFixed: Bool

    public var description: String { source }

    /// Creates an expression from already-computed field sets (for tests and generated schedules).
    public init(
        source: String, seconds: UInt64, minutes: UInt64, hours: UInt32, daysOfMonth: UInt32, months: UInt16,
        daysOfWeek: UInt8, dayOfMonthRestricted: Bool, dayOfWeekRestricted: Bool, hourIsFixed: Bool
    ) {
        self.source = source
        self.seconds = seconds
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = daysOfWeek
        self.dayOfMonthRestricted = dayOfMonthRestricted
        self.dayOfWeekRestricted = dayOfWeekRestricted
        self.hourIsFixed = hourIsFixed
    }
}

extension CronExpression {
    /// False when no instant can ever match (`0 0 30 2 *`: February has no 30th); such an expression
    /// is refused when a routine is validated, and next-fire searches end at once.
    public var canFire: Bool {
        let months = UInt32(self.months) & 0x1FFE
        // An unrestricted field allows everything, even if its bits were left empty.
        let dom = daysOfMonth & 0xFFFF_FFFE
        let daysOfMonth = dom == 0 && !dayOfMonthRestricted ? 0xFFFF_FFFE : dom
        // Day of week 7 is Sunday too.
        let dow = daysOfWeek & 0x7F | (daysOfWeek >> 7 & 1)
        let daysOfWeek = dow == 0 && !dayOfWeekRestricted ? 0x7F : dow
        // Some allowed month has an allowed day of the month (29 February counts: leap years come).
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var someDayOfMonth = false
        for month in 1...12 where months >> UInt32(month) & 1 != 0 {
            let valid: UInt32 = longest[month] == 31 ? 0xFFFF_FFFE : (1 << UInt32(longest[month] + 1)) - 2
            if daysOfMonth & valid != 0 { someDayOfMonth = true }
        }
        // Any date falls on every weekday in some year, and every month has every weekday.
        let someDay =
            dayOfMonthRestricted && dayOfWeekRestricted
            ? someDayOfMonth || daysOfWeek != 0 : someDayOfMonth && daysOfWeek != 0
        let times = seconds & (1 << 60 - 1) != 0 && minutes & (1 << 60 - 1) != 0 && hours & (1 << 24 - 1) != 0
        return someDay && times && months != 0
    }
}

/// Why a cron expression was rejected; `message` is a full sentence fit for a user.
public struct CronParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// E.g. `hour field: 25 is out of range 0-23`.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
