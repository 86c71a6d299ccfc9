import RoutineModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a trigger cannot be scheduled (unknown zone, `sun` without a location, …).
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A full sentence for the user, naming the zone or setting at fault.
    public var message: String
    /// Creates an error with `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Next-fire math for one wall-clock trigger (`at`, `cron`, `sun`), honouring SPEC §3's DST rule.
///
/// Fixed-time schedules (`at`, and cron whose hour is a single value) fire once per matching wall
/// time: in a spring-forward gap at the first valid instant after the gap, in a fall-back repeat at
/// the first occurrence. Wildcard or stepped hours fire at every real instant whose wall time
/// matches: twice in a repeated hour, never inside a gap. All math is on whole seconds.
public struct TriggerSchedule: Sendable {
    /// The zone the trigger's wall times are read in.
    public let zone: ZoneRules
    private let rule: Rule

    private enum Rule: Sendable {
        case at(AtSchedule)
        case cron(CronSchedule)
        case sun(SunSchedule)
    }

    /// How far ahead (in days) a wall-clock search looks before deciding nothing will ever match.
    static let horizonDays = 146_097  // 400 years: every calendar pattern repeats within it

    /// The trigger's own zone wins over `defaultTimeZone` (the config's); nil for both: the system's zone.
    public init(trigger: Trigger, defaultTimeZone: String?, location: Location?) throws(ScheduleError) {
        if let name = trigger.timezone ?? defaultTimeZone {
            zone = try ZoneRules.named(name)
        } else {
            zone = ZoneRules.system()
        }
        switch trigger.kind {
        case .at(let time, let days):
            rule = .at(AtSchedule(time: time, days: days))
        case .cron(let expression):
            rule = .cron(CronSchedule(expression))
        case .sun(let event, let offset):
            guard let location else {
                throw ScheduleError("sun triggers need \"location\" in the config")
            }
            rule = .sun(SunSchedule(event: event, offset: offset, location: location))
        case .every, .event, .idle, .startup, .mqtt:
            throw ScheduleError("only at, cron and sun triggers fire at wall-clock times")
        }
    }

    /// Whether SPEC §3's fixed-time DST rule applies (`at`, or cron with a single hour).
    public var isFixedTime: Bool {
        switch rule {
        case .at: return true
        case .cron(let cron): return cron.hourIsFixed
        case .sun: return false
        }
    }

    /// The first fire strictly after `instant`, or nil when there is none (e.g. `0 0 30 2 *`).
    public func nextFire(after instant: Date) -> Date? {
        // Beyond the range schedule math covers (or NaN) there is no next fire.
        guard instant.timeIntervalSince1970 < Double(ZoneRules.maximumSeconds - 2 * 146_097 * 86_400) else {
            return nil
        }
        return nextSecond(after: ZoneRules.seconds(instant)).map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// Up to `count` fires strictly after `instant`, in order.
    public func fires(after instant: Date, count: Int) -> [Date] {
        var result: [Date] = []
        result.reserveCapacity(max(0, min(count, 1024)))
        var last = instant
        while result.count < count, let next = nextFire(after: last) {
            result.append(next)
            last = next
        }
        return result
    }

    /// The first fire strictly after the whole UTC second `after`.
    func nextSecond(after: Int) -> Int? {
        switch rule {
        case .at(let at):
            return nextFixedTime(after: after) { local, _ in at.nextLocal(from: local) }
        case .cron(let cron):
            if cron.hourIsFixed {
                return nextFixedTime(after: after) { local, lastDay in cron.nextLocal(from: local, lastDay: lastDay) }
            }
            return nextEveryInstant(after: after, cron: cron)
        case .sun(let sun):
            return sun.next(after: after)
        }
    }

    /// Fixed-time rule: each matching wall time fires once, at `firstInstant` of it.
    ///
    /// `firstInstant` never decreases as the wall time grows, so the answer is the first matching wall
    /// time whose instant lies after `after`; the search starts at the wall time just after `after`
    /// read with the offset in force at `after`, which also catches wall times in a gap that begins
    /// right after it.
    private func nextFixedTime(after: Int, nextLocal: (Int, Int) -> Int?) -> Int? {
        let table = zone.table
        var local = after + 1 + table.period(at: after).offset
        let lastDay = CivilDate.floorDiv(local, 86_400) + Self.horizonDays
        while let match = nextLocal(local, lastDay) {
            let instant = table.firstInstant(local: match)
            if instant > after { return instant }
            local = match + 1  // a wall time repeated after a fall-back: its first occurrence has passed
        }
        return nil
    }

    /// Wildcard-hour rule: walk the zone's constant-offset periods; within one, wall time and
    /// instants move together, so the first match in the period is the next real instant.
    private func nextEveryInstant(after: Int, cron: CronSchedule) -> Int? {
        let table = zone.table
        var start = after + 1
        var period = table.period(at: start)
        let horizon = CivilDate.floorDiv(start + period.offset, 86_400) + Self.horizonDays
        while true {
            let lastDay =
                period.end == .max ? horizon : min(horizon, CivilDate.floorDiv(period.end - 1 + period.offset, 86_400))
            if let match = cron.nextLocal(from: start + period.offset, lastDay: lastDay) {
                let instant = match - period.offset
                if instant < period.end { return instant }
            }
            guard period.end != .max, lastDay < horizon else { return nil }
            start = period.end
            period = table.period(at: start)
        }
    }
}
