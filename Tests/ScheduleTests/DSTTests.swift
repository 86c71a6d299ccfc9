import Foundation
import RoutineModel
import Testing

@testable import Schedule

/// SPEC §3: fixed-time fires run once (first valid instant after a gap, first occurrence in a
/// repeat); wildcard or stepped hours fire at every real matching instant.
@Suite struct DSTTests {
    // MARK: Europe/Berlin: 2025-03-30 02:00 CET → 03:00 CEST; 2025-10-26 03:00 CEST → 02:00 CET.

    @Test func acceptanceExampleBerlinSpringForward() throws {
        #expect(
            try fires(cron("30 2 * * *"), zone: "Europe/Berlin", from: "2025-03-29T00:00:00+01:00", count: 3) == [
                "2025-03-29T02:30:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00",
            ])
    }

    @Test func atInGapRunsOnceAfterTheGap() throws {
        #expect(
            try fires(at("02:30"), zone: "Europe/Berlin", from: "2025-03-29T12:00:00+01:00", count: 2) == [
                "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00",
            ])
        // Two wall times in the same gap collapse into one fire.
        #expect(
            try fires(cron("0,30 2 * * *"), zone: "Europe/Berlin", from: "2025-03-30T00:00:00+01:00", count: 2) == [
                "2025-03-30T03:00:00+02:00", "2025-03-31T02:00:00+02:00",
            ])
    }

    @Test func gapFireRightAfterTheLastSecondBeforeIt() throws {
        let s = try schedule(at("02:30"), zone: "Europe/Berlin")
        #expect(s.nextFire(after: instant("2025-03-30T01:59:59+01:00")) == instant("2025-03-30T03:00:00+02:00"))
        #expect(s.nextFire(after: instant("2025-03-30T03:00:00+02:00")) == instant("2025-03-31T02:30:00+02:00"))
        #expect(
            s.nextFire(after: instant("2025-03-30T01:59:59+01:00").addingTimeInterval(0.5))
                == instant("2025-03-30T03:00:00+02:00"))
    }

    @Test func steppedHoursSkipTheGap() throws {
        #expect(
            try fires(cron("*/15 * * * *"), zone: "Europe/Berlin", from: "2025-03-30T01:30:00+01:00", count: 4) == [
                "2025-03-30T01:45:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-30T03:15:00+02:00",
                "2025-03-30T03:30:00+02:00",
            ])
    }

    @Test func fixedTimeInRepeatRunsAtFirstOccurrence() throws {
        #expect(
            try fires(cron("30 2 * * *"), zone: "Europe/Berlin", from: "2025-10-25T12:00:00+02:00", count: 3) == [
                "2025-10-26T02:30:00+02:00", "2025-10-27T02:30:00+01:00", "2025-10-28T02:30:00+01:00",
            ])
        let s = try schedule(at("02:30"), zone: "Europe/Berlin")
        // Inside the repeat, after the first occurrence (first and second pass): no second run.
        #expect(s.nextFire(after: instant("2025-10-26T02:45:00+02:00")) == instant("2025-10-27T02:30:00+01:00"))
        #expect(s.nextFire(after: instant("2025-10-26T02:10:00+01:00")) == instant("2025-10-27T02:30:00+01:00"))
        #expect(s.nextFire(after: instant("2025-10-26T02:29:59+02:00")) == instant("2025-10-26T02:30:00+02:00"))
    }

    @Test func steppedHoursFireTwiceInRepeat() throws {
        #expect(
            try fires(cron("*/15 * * * *"), zone: "Europe/Berlin", from: "2025-10-26T01:50:00+02:00", count: 9) == [
                "2025-10-26T02:00:00+02:00", "2025-10-26T02:15:00+02:00", "2025-10-26T02:30:00+02:00",
                "2025-10-26T02:45:00+02:00", "2025-10-26T02:00:00+01:00", "2025-10-26T02:15:00+01:00",
                "2025-10-26T02:30:00+01:00", "2025-10-26T02:45:00+01:00", "2025-10-26T03:00:00+01:00",
            ])
        // Local midnight to 04:00 that day is five real hours: 20 quarter-hour fires, all distinct.
        let s = try schedule(cron("*/15 * * * *"), zone: "Europe/Berlin")
        let all = s.fires(after: instant("2025-10-25T23:59:59+02:00"), count: 100)
            .filter { $0 < instant("2025-10-26T04:00:00+01:00") }
        #expect(all.count == 20)
        #expect(Set(all).count == 20)
        // Starting inside the second pass continues with the second pass.
        #expect(s.nextFire(after: instant("2025-10-26T02:20:00+01:00")) == instant("2025-10-26T02:30:00+01:00"))
        #expect(s.nextFire(after: instant("2025-10-26T02:50:00+02:00")) == instant("2025-10-26T02:00:00+01:00"))
    }

    @Test func hourlyWildcardAcrossRepeat() throws {
        #expect(
            try fires(cron("0 * * * *"), zone: "Europe/Berlin", from: "2025-10-26T01:30:00+02:00", count: 3) == [
                "2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00", "2025-10-26T03:00:00+01:00",
            ])
    }

    // MARK: America/New_York: 2025-03-09 02:00 EST → 03:00 EDT; 2025-11-02 02:00 EDT → 01:00 EST.

    @Test func newYorkAtWithDaysAcrossTransitions() throws {
        #expect(
            try fires(at("02:30", days: [.sun]), zone: "America/New_York", from: "2025-03-02T03:00:00-05:00", count: 3)
                == ["2025-03-09T03:00:00-04:00", "2025-03-16T02:30:00-04:00", "2025-03-23T02:30:00-04:00"])
        #expect(
            try fires(at("01:30", days: [.sun]), zone: "America/New_York", from: "2025-10-27T00:00:00-04:00", count: 2)
                == ["2025-11-02T01:30:00-04:00", "2025-11-09T01:30:00-05:00"])
        // Days not including the transition day are untouched by it.
        #expect(
            try fires(
                at("02:30", days: [.sat, .mon]), zone: "America/New_York", from: "2025-03-08T00:00:00-05:00",
                count: 2) == ["2025-03-08T02:30:00-05:00", "2025-03-10T02:30:00-04:00"])
    }

    @Test func newYorkFixedAndStepped() throws {
        #expect(
            try fires(cron("30 1 * * *"), zone: "America/New_York", from: "2025-11-01T12:00:00-04:00", count: 2) == [
                "2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00",
            ])
        #expect(
            try fires(cron("*/30 * * * *"), zone: "America/New_York", from: "2025-11-02T00:45:00-04:00", count: 5) == [
                "2025-11-02T01:00:00-04:00", "2025-11-02T01:30:00-04:00", "2025-11-02T01:00:00-05:00",
                "2025-11-02T01:30:00-05:00", "2025-11-02T02:00:00-05:00",
            ])
        #expect(
            try fires(cron("*/30 * * * *"), zone: "America/New_York", from: "2025-03-09T01:15:00-05:00", count: 3) == [
                "2025-03-09T01:30:00-05:00", "2025-03-09T03:00:00-04:00", "2025-03-09T03:30:00-04:00",
            ])
        #expect(
            try fires(cron("0 2 * * *"), zone: "America/New_York", from: "2025-03-08T12:00:00-05:00", count: 2) == [
                "2025-03-09T03:00:00-04:00", "2025-03-10T02:00:00-04:00",
            ])
    }

    // MARK: Australia/Lord_Howe: 30-minute shifts. 2025-04-06 02:00 +11 → 01:30 +1030; 2025-10-05 02:00 +1030 → 02:30 +11.

    @Test func lordHoweHalfHourGap() throws {
        #expect(
            try fires(cron("15 2 * * *"), zone: "Australia/Lord_Howe", from: "2025-10-04T12:00:00+10:30", count: 2) == [
                "2025-10-05T02:30:00+11:00", "2025-10-06T02:15:00+11:00",
            ])
        #expect(
            try fires(cron("*/15 * * * *"), zone: "Australia/Lord_Howe", from: "2025-10-05T01:40:00+10:30", count: 3)
                == ["2025-10-05T01:45:00+10:30", "2025-10-05T02:30:00+11:00", "2025-10-05T02:45:00+11:00"])
    }

    @Test func lordHoweHalfHourRepeat() throws {
        #expect(
            try fires(at("01:45"), zone: "Australia/Lord_Howe", from: "2025-04-05T12:00:00+11:00", count: 2) == [
                "2025-04-06T01:45:00+11:00", "2025-04-07T01:45:00+10:30",
            ])
        #expect(
            try fires(cron("*/15 * * * *"), zone: "Australia/Lord_Howe", from: "2025-04-06T01:20:00+11:00", count: 5)
                == [
                    "2025-04-06T01:30:00+11:00", "2025-04-06T01:45:00+11:00", "2025-04-06T01:30:00+10:30",
                    "2025-04-06T01:45:00+10:30", "2025-04-06T02:00:00+10:30",
                ])
    }

    // MARK: Transitions at midnight (zdump -v, tzdata 2025b).
    // America/Havana: 2025-03-09 00:00 CST → 01:00 CDT; 2025-11-02 01:00 CDT → 00:00 CST.
    // America/Santiago: 2025-04-05 24:00 -03 → 23:00 -04; 2025-09-07 00:00 -04 → 01:00 -03.
    // Asia/Beirut: 2025-03-30 00:00 EET → 01:00 EEST; 2025-10-25 24:00 EEST → 23:00 EET.

    @Test func havanaMidnightGapAndRepeat() throws {
        #expect(
            try fires(cron("@daily"), zone: "America/Havana", from: "2025-03-08T12:00:00-05:00", count: 2) == [
                "2025-03-09T01:00:00-04:00", "2025-03-10T00:00:00-04:00",
            ])
        #expect(
            try fires(at("00:00", days: [.sun]), zone: "America/Havana", from: "2025-03-02T12:00:00-05:00", count: 2)
                == ["2025-03-09T01:00:00-04:00", "2025-03-16T00:00:00-04:00"])
        #expect(
            try fires(at("00:30"), zone: "America/Havana", from: "2025-11-01T12:00:00-04:00", count: 2) == [
                "2025-11-02T00:30:00-04:00", "2025-11-03T00:30:00-05:00",
            ])
        #expect(
            try fires(cron("0 * * * *"), zone: "America/Havana", from: "2025-11-01T23:30:00-04:00", count: 3) == [
                "2025-11-02T00:00:00-04:00", "2025-11-02T00:00:00-05:00", "2025-11-02T01:00:00-05:00",
            ])
    }

    @Test func santiagoMidnightGapAndLateRepeat() throws {
        #expect(
            try fires(cron("0 0 * * *"), zone: "America/Santiago", from: "2025-09-06T12:00:00-04:00", count: 2) == [
                "2025-09-07T01:00:00-03:00", "2025-09-08T00:00:00-03:00",
            ])
        #expect(
            try fires(at("23:30"), zone: "America/Santiago", from: "2025-04-05T12:00:00-03:00", count: 2) == [
                "2025-04-05T23:30:00-03:00", "2025-04-06T23:30:00-04:00",
            ])
        #expect(
            try fires(cron("*/30 * * * *"), zone: "America/Santiago", from: "2025-04-05T23:15:00-03:00", count: 4) == [
                "2025-04-05T23:30:00-03:00", "2025-04-05T23:00:00-04:00", "2025-04-05T23:30:00-04:00",
                "2025-04-06T00:00:00-04:00",
            ])
    }

    @Test func beirutMidnightGapAndRepeat() throws {
        #expect(
            try fires(cron("@daily"), zone: "Asia/Beirut", from: "2025-03-29T12:00:00+02:00", count: 2) == [
                "2025-03-30T01:00:00+03:00", "2025-03-31T00:00:00+03:00",
            ])
        #expect(
            try fires(cron("30 23 * * *"), zone: "Asia/Beirut", from: "2025-10-25T12:00:00+03:00", count: 2) == [
                "2025-10-25T23:30:00+03:00", "2025-10-26T23:30:00+02:00",
            ])
    }

    @Test func sixFieldFixedHourInGap() throws {
        // Every second of 02:00–02:59 falls into the gap: one fire at 03:00.
        #expect(
            try fires(cron("* * 2 * * *"), zone: "Europe/Berlin", from: "2025-03-30T01:59:58+01:00", count: 3) == [
                "2025-03-30T03:00:00+02:00", "2025-03-31T02:00:00+02:00",
                "2025-03-31T02:00:01+02:00",
            ])
    }

    // MARK: Pacific/Apia skipped 30 December 2011 entirely (−10 → +14 at the end of the 29th).

    @Test func wholeSkippedDay() throws {
        #expect(
            try fires(at("12:00"), zone: "Pacific/Apia", from: "2011-12-29T13:00:00-10:00", count: 3) == [
                "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00", "2012-01-01T12:00:00+14:00",
            ])
        #expect(
            try fires(cron("*/30 * * * *"), zone: "Pacific/Apia", from: "2011-12-29T23:15:00-10:00", count: 3) == [
                "2011-12-29T23:30:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T00:30:00+14:00",
            ])
    }
}
