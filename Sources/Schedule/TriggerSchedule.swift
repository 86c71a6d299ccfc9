// API CONTRACT (stub): implemented by the schedule work.
import Foundation
import RoutineModel

/// Why a trigger cannot be scheduled (unknown zone, `sun` without a location, …).
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Next-fire math for one wall-clock trigger (`at`, `cron`, `sun`), honouring SPEC §3's DST rule.
public struct TriggerSchedule: Sendable {
    /// The trigger's own zone wins over `defaultTimeZone` (the config's); nil for both: the system's zone.
    public init(trigger: Trigger, defaultTimeZone: String?, location: Location?) throws(ScheduleError) {
        throw ScheduleError("not implemented")
    }

    /// The first fire strictly after `instant`, or nil when there is none (e.g. `0 0 30 2 *`).
    public func nextFire(after instant: Date) -> Date? { nil }

    /// Up to `count` fires strictly after `instant`, in order.
    public func fires(after instant: Date, count: Int) -> [Date] { [] }
}

/// Local calendar fields of an instant in one IANA zone (for conditions, templates and output).
public struct LocalTime: Sendable, Equatable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    public var weekday: Weekday
    /// Offset from UTC in seconds at that instant.
    public var utcOffset: Int
}

/// An IANA time zone's rules.
public struct ZoneRules: Sendable {
    /// The zone's identifier (`Europe/Berlin`).
    public let identifier: String
    /// Loads a zone by name; throws with a clear message for unknown names.
    public static func named(_ identifier: String) throws(ScheduleError) -> ZoneRules {
        throw ScheduleError("not implemented")
    }
    /// The system's zone (`TZ`, else `/etc/localtime`, else UTC).
    public static func system() -> ZoneRules { ZoneRules(identifier: "UTC") }
    init(identifier: String) { self.identifier = identifier }
    /// Local fields of `instant`.
    public func localTime(_ instant: Date) -> LocalTime {
        LocalTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, weekday: .thu, utcOffset: 0)
    }
    /// ISO 8601 with the zone's UTC offset: `2025-03-30T03:00:00+02:00`.
    public func iso8601(_ instant: Date) -> String { "" }
}
