import Foundation
import RoutineModel
import Testing

@testable import Schedule

@Suite struct CronTests {
    private func utc(_ expression: String, from: String, count: Int) throws -> [String] {
        try fires(cron(expression), zone: "UTC", from: from, count: count)
    }

    @Test func leapDay() throws {
        #expect(
            try utc("0 0 29 2 *", from: "2025-01-01T00:00:00Z", count: 2) == [
                "2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00",
            ])
        // 2100 is not a leap year: eight years between 2096 and 2104.
        #expect(try utc("0 0 29 2 *", from: "2096-03-01T00:00:00Z", count: 1) == ["2104-02-29T00:00:00+00:00"])
    }

    @Test func dayOfMonthAndDayOfWeek() throws {
        // Both restricted: either matches (1 June is a Sunday, 1 July a Tuesday).
        #expect(
            try utc("0 0 1 * mon", from: "2025-05-31T12:00:00Z", count: 7) == [
                "2025-06-01T00:00:00+00:00", "2025-06-02T00:00:00+00:00", "2025-06-09T00:00:00+00:00",
                "2025-06-16T00:00:00+00:00", "2025-06-23T00:00:00+00:00", "2025-06-30T00:00:00+00:00",
                "2025-07-01T00:00:00+00:00",
            ])
        // Only the day of month restricted.
        #expect(
            try utc("0 0 1 * *", from: "2025-05-31T12:00:00Z", count: 2) == [
                "2025-06-01T00:00:00+00:00", "2025-07-01T00:00:00+00:00",
            ])
        // Only the day of week restricted; 7 is Sunday too.
        #expect(
            try utc("0 0 * * 7", from: "2025-05-31T12:00:00Z", count: 2) == [
                "2025-06-01T00:00:00+00:00", "2025-06-08T00:00:00+00:00",
            ])
        // Friday the 13th needs both: with cron's rule it is every Friday and every 13th.
        #expect(
            try utc("0 0 13 * fri", from: "2025-06-01T00:00:00Z", count: 6) == [
                "2025-06-06T00:00:00+00:00", "2025-06-13T00:00:00+00:00", "2025-06-20T00:00:00+00:00",
                "2025-06-27T00:00:00+00:00", "2025-07-04T00:00:00+00:00", "2025-07-11T00:00:00+00:00",
            ])
    }

    @Test func stepsAcrossHourDayMonthAndYearEnds() throws {
        #expect(
            try utc("*/20 * * * *", from: "2025-01-01T10:50:00Z", count: 2) == [
                "2025-01-01T11:00:00+00:00", "2025-01-01T11:20:00+00:00",
            ])
        #expect(
            try utc("*/7 * * * *", from: "2025-01-01T23:56:00Z", count: 2) == [
                "2025-01-02T00:00:00+00:00", "2025-01-02T00:07:00+00:00",
            ])
        #expect(
            try utc("0 12 */10 * *", from: "2025-01-31T13:00:00Z", count: 3) == [
                "2025-02-01T12:00:00+00:00", "2025-02-11T12:00:00+00:00", "2025-02-21T12:00:00+00:00",
            ])
        #expect(
            try utc("0 0 1 */5 *", from: "2025-11-15T00:00:00Z", count: 3) == [
                "2026-01-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00",
            ])
        #expect(
            try utc("0 */6 * * *", from: "2025-12-31T19:00:00Z", count: 2) == [
                "2026-01-01T00:00:00+00:00", "2026-01-01T06:00:00+00:00",
            ])
        #expect(
            try utc("30 9-11/2 * * *", from: "2025-04-30T10:00:00Z", count: 3) == [
                "2025-04-30T11:30:00+00:00", "2025-05-01T09:30:00+00:00", "2025-05-01T11:30:00+00:00",
            ])
    }

    @Test func sixFieldsWithSeconds() throws {
        #expect(
            try utc("*/20 * * * * *", from: "2025-01-01T10:00:45Z", count: 3) == [
                "2025-01-01T10:01:00+00:00", "2025-01-01T10:01:20+00:00", "2025-01-01T10:01:40+00:00",
            ])
        #expect(
            try utc("30 15 10 * * *", from: "2025-01-01T10:15:30Z", count: 1) == ["2025-01-02T10:15:30+00:00"])
        #expect(
            try utc("59 59 23 31 12 *", from: "2025-06-01T00:00:00Z", count: 1) == ["2025-12-31T23:59:59+00:00"])
    }

    @Test func names() throws {
        #expect(
            try utc("0 9 * jan,jul mon-fri", from: "2025-01-30T10:00:00Z", count: 2) == [
                "2025-01-31T09:00:00+00:00", "2025-07-01T09:00:00+00:00",
            ])
        #expect(
            try utc("0 18 * * sat,sun", from: "2025-06-02T00:00:00Z", count: 2) == [
                "2025-06-07T18:00:00+00:00", "2025-06-08T18:00:00+00:00",
            ])
    }

    @Test func macros() throws {
        let from = "2025-06-15T10:30:00Z"
        #expect(try utc("@hourly", from: from, count: 1) == ["2025-06-15T11:00:00+00:00"])
        #expect(try utc("@daily", from: from, count: 1) == ["2025-06-16T00:00:00+00:00"])
        #expect(try utc("@weekly", from: from, count: 1) == ["2025-06-22T00:00:00+00:00"])
        #expect(try utc("@monthly", from: from, count: 1) == ["2025-07-01T00:00:00+00:00"])
        #expect(try utc("@yearly", from: from, count: 1) == ["2026-01-01T00:00:00+00:00"])
    }

    @Test func impossibleDatesEndAtOnce() throws {
        for expression in ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "* * 31 2 *", "*/5 3 30 feb *"] {
            let s = try schedule(cron(expression), zone: "Europe/Berlin")
            #expect(s.nextFire(after: instant("2025-01-01T00:00:00Z")) == nil, "\(expression)")
            #expect(s.fires(after: instant("2025-01-01T00:00:00Z"), count: 5).isEmpty)
        }
        // Day 31 only exists in some months: those are found.
        #expect(
            try utc("0 0 31 * *", from: "2025-01-31T00:00:00Z", count: 3) == [
                "2025-03-31T00:00:00+00:00", "2025-05-31T00:00:00+00:00", "2025-07-31T00:00:00+00:00",
            ])
    }

    @Test func strictlyAfterAndCount() throws {
        #expect(try utc("0 12 * * *", from: "2025-01-01T12:00:00Z", count: 1) == ["2025-01-02T12:00:00+00:00"])
        #expect(try utc("0 12 * * *", from: "2025-01-01T11:59:59Z", count: 1) == ["2025-01-01T12:00:00+00:00"])
        #expect(try utc("0 12 * * *", from: "2025-01-01T11:59:59Z", count: 0).isEmpty)
        let s = try schedule(cron("* * * * * *"), zone: "UTC")
        #expect(
            s.nextFire(after: instant("2025-01-01T00:00:00Z").addingTimeInterval(0.25))
                == instant("2025-01-01T00:00:01Z"))
    }

    @Test func zoneChoice() throws {
        // The trigger's own zone wins over the default one.
        let trigger = Trigger(kind: cron("0 7 * * *"), timezone: "Asia/Tokyo")
        let s = try TriggerSchedule(trigger: trigger, defaultTimeZone: "Europe/Berlin", location: nil)
        #expect(s.zone.identifier == "Asia/Tokyo")
        #expect(s.nextFire(after: instant("2025-01-01T00:00:00Z")).map(s.zone.iso8601) == "2025-01-02T07:00:00+09:00")
        let fallback = try TriggerSchedule(
            trigger: Trigger(kind: cron("0 7 * * *")), defaultTimeZone: "Europe/Berlin", location: nil)
        #expect(fallback.zone.identifier == "Europe/Berlin")
        #expect(throws: ScheduleError.self) {
            try TriggerSchedule(trigger: Trigger(kind: .startup), defaultTimeZone: nil, location: nil)
        }
    }

    @Test func fixedTimeFlag() throws {
        #expect(try schedule(cron("0 7 * * *"), zone: "UTC").isFixedTime)
        #expect(try schedule(at("07:00"), zone: "UTC").isFixedTime)
        #expect(try !schedule(cron("0 */2 * * *"), zone: "UTC").isFixedTime)
        #expect(try !schedule(cron("0 7,8 * * *"), zone: "UTC").isFixedTime)
    }
}

@Suite struct ExtremeInstantTests {
    @Test func farPastAndFutureDoNotTrap() throws {
        let kinds: [TriggerKind] = [
            cron("30 2 * * *"), cron("*/15 * * * *"), at("07:00", days: [.mon]), .sun(.sunrise, offset: .zero),
        ]
        for kind in kinds {
            let s = try schedule(kind, zone: "Europe/Berlin", location: Location(latitude: 52.52, longitude: 13.405))
            for start in [
                Date.distantPast, Date.distantFuture, Date(timeIntervalSince1970: 1e18),
                Date(timeIntervalSince1970: -1e18),
            ] {
                let next = s.nextFire(after: start)
                #expect(next.map { $0 > start } ?? true)
            }
        }
        // Year 4000 (Date.distantFuture's era) still follows the footer rule.
        #expect(
            try fires(cron("30 2 * * *"), zone: "Europe/Berlin", from: "4000-03-25T12:00:00+01:00", count: 2) == [
                "4000-03-26T03:00:00+02:00", "4000-03-27T02:30:00+02:00",
            ])
    }
}
