import RoutineModel

/// Local calendar fields of an instant in one IANA zone (for conditions, templates and output).
public struct LocalTime: Sendable, Equatable {
    /// Calendar date and wall-clock time (24-hour) in the zone.
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    /// Day of the week of that date.
    public var weekday: Weekday
    /// Offset from UTC in seconds at that instant.
    public var utcOffset: Int

    /// Creates local fields (for tests and fakes; `ZoneRules.localTime` computes real ones).
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Weekday, utcOffset: Int)
    {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.weekday = weekday
        self.utcOffset = utcOffset
    }
}
