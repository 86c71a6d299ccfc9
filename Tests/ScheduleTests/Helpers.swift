import Foundation
import RoutineModel
import Testing

@testable import Schedule

/// Parses `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM` (test input only).
func instant(_ text: String) -> Date {
    let chars = Array(text)
    func number(_ from: Int, _ length: Int) -> Int { Int(String(chars[from..<from + length]))! }
    let days = CivilDate.days(year: number(0, 4), month: number(5, 2), day: number(8, 2))
    var seconds = days * 86_400 + number(11, 2) * 3600 + number(14, 2) * 60 + number(17, 2)
    if chars.count > 19, chars[19] != "Z" {
        let offset = number(20, 2) * 3600 + number(23, 2) * 60
        seconds -= chars[19] == "-" ? -offset : offset
    }
    return Date(timeIntervalSince1970: Double(seconds))
}

/// A schedule for `kind` in `zone`.
func schedule(_ kind: TriggerKind, zone: String, location: Location? = nil) throws -> TriggerSchedule {
    try TriggerSchedule(trigger: Trigger(kind: kind), defaultTimeZone: zone, location: location)
}

/// The next `count` fires after `from`, as ISO 8601 in the schedule's zone.
func fires(_ kind: TriggerKind, zone: String, from: String, count: Int, location: Location? = nil) throws -> [String] {
    let schedule = try schedule(kind, zone: zone, location: location)
    return schedule.fires(after: instant(from), count: count).map(schedule.zone.iso8601)
}

/// A cron trigger from text (see `TestCron`).
func cron(_ text: String) -> TriggerKind { .cron(TestCron.parse(text)) }

/// An `at` trigger, `HH:MM[:SS]`.
func at(_ text: String, days: Set<Weekday>? = nil) -> TriggerKind { .at(TimeOfDay(parsing: text)!, days: days) }
