import FoundationEssentials
import RoutineModel
import Schedule

/// The real `FireCalculator`: `TriggerSchedule` from the Schedule module.
public struct ScheduleFireCalculator: FireCalculator {
    let defaultTimeZone: String?
    let location: Location?

    /// Uses the config's zone (nil: the system's) and location (for `sun`).
    public init(defaultTimeZone: String?, location: Location?) {
        self.defaultTimeZone = defaultTimeZone
        self.location = location
    }

    /// Builds a `TriggerSchedule`; throws its `ScheduleError` (unknown zone, `sun` without location).
    public func prepare(_ trigger: Trigger) throws -> @Sendable (Date) -> Date? {
        let schedule = try TriggerSchedule(trigger: trigger, defaultTimeZone: defaultTimeZone, location: location)
        return { schedule.nextFire(after: $0) }
    }
}

/// The real `LocalTimeProvider`: the configured zone's rules.
public struct ZoneLocalTimeProvider: LocalTimeProvider {
    let zone: ZoneRules

    /// Local time in `zone`.
    public init(zone: ZoneRules) { self.zone = zone }

    /// Local fields of `instant` in the zone.
    public func localTime(_ instant: Date) -> LocalDateTime {
        let t = zone.localTime(instant)
        return LocalDateTime(
            year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second,
            weekday: t.weekday)
    }
}
