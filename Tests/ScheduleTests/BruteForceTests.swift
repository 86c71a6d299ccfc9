import Foundation
import RoutineModel
import Testing

@testable import Schedule

/// Compares the jumping search with a minute-by-minute walk over real instants near DST transitions.
///
/// The walk needs only `utcOffset(at:)` (checked against zdump elsewhere) and a direct field test:
/// a wildcard-hour cron fires at each instant whose wall time matches; a fixed-time one fires at the
/// first instant whose wall time reaches a matching wall time not reached before (this is SPEC §3:
/// first occurrence in a repeat, first valid instant after a gap).
@Suite struct BruteForceTests {
    static let zones: [(zone: String, transitions: [String])] = [
        ("Europe/Berlin", ["2025-03-30T01:00:00Z", "2025-10-26T01:00:00Z"]),
        ("America/New_York", ["2025-03-09T07:00:00Z", "2025-11-02T06:00:00Z"]),
        ("Australia/Lord_Howe", ["2025-04-05T15:00:00Z", "2025-10-04T15:30:00Z"]),
        ("America/Havana", ["2025-03-09T05:00:00Z", "2025-11-02T05:00:00Z"]),
        ("America/Santiago", ["2025-04-06T03:00:00Z", "2025-09-07T04:00:00Z"]),
        ("Asia/Beirut", ["2025-03-29T22:00:00Z", "2025-10-25T21:00:00Z"]),
    ]
    static let expressions = [
        "30 2 * * *", "0 0 * * *", "45 1 * * *", "15 2 * * *", "*/15 * * * *", "0 * * * *", "0,30 0-3 * * *",
        "*/7 1-2 * * *", "30 23 * * *", "0 0 * * sun", "20 1,2 * * 0,6", "*/30 * * * *", "0 */2 * * *",
    ]

    @Test(arguments: zones.map(\.zone))
    func cronAgreesWithMinuteWalk(_ zoneName: String) throws {
        let zone = try ZoneRules.named(zoneName)
        let transitions = try #require(Self.zones.first { $0.zone == zoneName }).transitions.map(instant)
        var random: UInt64 = 42
        for text in Self.expressions {
            let expression = TestCron.parse(text)
            let s = try schedule(.cron(expression), zone: zoneName)
            for transition in transitions {
                for _ in 0..<6 {
                    random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    // A start minute within a day and a half before the transition.
                    let start = transition.addingTimeInterval(-Double(Int(random >> 33) % 2160 * 60))
                    let expected = Self.walk(expression, zone: zone, after: start, count: 6)
                    // The walk covers three days; compare what falls into them.
                    let end = start.addingTimeInterval(3 * 86_400)
                    let actual = s.fires(after: start, count: 6).filter { $0 < end }
                    #expect(actual == expected, "\(zoneName) \(text) after \(zone.iso8601(start))")
                }
            }
        }
    }

    /// The first `count` fires after the minute-aligned `after`, by walking minutes for up to 3 days.
    static func walk(_ e: CronExpression, zone: ZoneRules, after: Date, count: Int) -> [Date] {
        func local(_ t: Int) -> Int { t + zone.utcOffset(at: Date(timeIntervalSince1970: Double(t))) }
        func matches(_ localSeconds: Int) -> Bool {
            let days = CivilDate.floorDiv(localSeconds, 86_400)
            let date = CivilDate.date(days: days)
            let minuteOfDay = (localSeconds - days * 86_400) / 60
            let weekday = CivilDate.weekday(days: days)
            let dom = e.daysOfMonth >> UInt32(date.day) & 1 == 1
            let dow = e.daysOfWeek >> UInt8(weekday) & 1 == 1
            let day = e.dayOfMonthRestricted && e.dayOfWeekRestricted ? dom || dow : dom && dow
            return day && e.months >> UInt16(date.month) & 1 == 1 && e.hours >> UInt32(minuteOfDay / 60) & 1 == 1
                && e.minutes >> UInt64(minuteOfDay % 60) & 1 == 1
        }
        var result: [Date] = []
        let first = Int(after.timeIntervalSince1970)
        var reached = local(first)  // wall times up to here are spent
        var t = first + 60
        while result.count < count, t < first + 3 * 86_400 {
            let wall = local(t)
            if e.hourIsFixed {
                var m = reached + 60
                while m <= wall, !matches(m) { m += 60 }
                if m <= wall { result.append(Date(timeIntervalSince1970: Double(t))) }
                reached = max(reached, wall)
            } else if matches(wall) {
                result.append(Date(timeIntervalSince1970: Double(t)))
            }
            t += 60
        }
        return result
    }
}

@Suite struct AtMatchesCronTests {
    /// `at` with days is the fixed-time cron with the same fields.
    @Test(arguments: BruteForceTests.zones.map(\.zone))
    func atEqualsFixedCron(_ zone: String) throws {
        let pairs: [(TriggerKind, String)] = [
            (at("02:30", days: [.sat, .sun]), "30 2 * * sat,sun"),
            (at("00:00"), "0 0 * * *"),
            (at("23:30", days: [.fri, .sat]), "30 23 * * 5,6"),
            (at("01:45"), "45 1 * * *"),
        ]
        for (kind, text) in pairs {
            let a = try schedule(kind, zone: zone)
            let c = try schedule(cron(text), zone: zone)
            for start in [
                "2025-03-07T00:00:00Z", "2025-04-03T00:00:00Z", "2025-09-04T00:00:00Z", "2025-10-23T00:00:00Z",
                "2025-10-31T00:00:00Z",
            ] {
                #expect(
                    a.fires(after: instant(start), count: 8) == c.fires(after: instant(start), count: 8),
                    "\(zone) \(text)")
            }
        }
    }
}
