import Foundation
import RoutineModel
import Testing

@testable import Schedule

/// Reference times: computed with PyEphem 4.2.1 (`ephem` on PyPI; VSOP87 planetary theory, independent
/// of NOAA's formulas and more precise than them) for the sun's centre at −0°50′ (34′ refraction +
/// 16′ radius, the −0.833° that NOAA's Solar Calculator uses), no further atmospheric model, sea
/// level; each is the first rising/setting after local midnight of the date, rounded to the second.
/// NOAA's own calculator could not be reached from the build machine; its stated accuracy is about
/// a minute below ±72° latitude, and these checks allow ±60 s (the implementation lands within 5 s).
@Suite struct SunTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var place: String, latitude: Double, longitude: Double, zone: String
        var sunrise: String, sunset: String
        var testDescription: String { "\(place) \(sunrise.prefix(10))" }
    }

    static let cases: [Case] = [
        Case(
            place: "Berlin, summer solstice", latitude: 52.52, longitude: 13.405, zone: "Europe/Berlin",
            sunrise: "2025-06-21T04:43:08+02:00", sunset: "2025-06-21T21:33:18+02:00"),
        Case(
            place: "Berlin, winter solstice", latitude: 52.52, longitude: 13.405, zone: "Europe/Berlin",
            sunrise: "2025-12-21T08:15:02+01:00", sunset: "2025-12-21T15:54:02+01:00"),
        Case(
            place: "New York, equinox", latitude: 40.7128, longitude: -74.006, zone: "America/New_York",
            sunrise: "2025-03-20T06:58:54-04:00", sunset: "2025-03-20T19:08:25-04:00"),
        Case(
            place: "New York, DST end", latitude: 40.7128, longitude: -74.006, zone: "America/New_York",
            sunrise: "2025-11-02T06:27:55-05:00", sunset: "2025-11-02T16:50:45-05:00"),
        Case(
            place: "Sydney, summer", latitude: -33.8688, longitude: 151.2093, zone: "Australia/Sydney",
            sunrise: "2025-01-15T05:59:43+11:00", sunset: "2025-01-15T20:08:55+11:00"),
        Case(
            place: "Sydney, winter", latitude: -33.8688, longitude: 151.2093, zone: "Australia/Sydney",
            sunrise: "2025-07-15T06:58:06+10:00", sunset: "2025-07-15T17:04:24+10:00"),
        Case(
            place: "Quito, equinox", latitude: -0.1807, longitude: -78.4678, zone: "America/Guayaquil",
            sunrise: "2025-09-23T06:02:50-05:00", sunset: "2025-09-23T18:09:19-05:00"),
        Case(
            place: "Reykjavik, June", latitude: 64.1466, longitude: -21.9426, zone: "Atlantic/Reykjavik",
            sunrise: "2025-06-01T03:22:22+00:00", sunset: "2025-06-01T23:31:10+00:00"),
        Case(
            place: "Reykjavik, December", latitude: 64.1466, longitude: -21.9426, zone: "Atlantic/Reykjavik",
            sunrise: "2025-12-21T11:22:30+00:00", sunset: "2025-12-21T15:29:27+00:00"),
    ]

    @Test(arguments: cases) func withinOneMinuteOfReference(_ c: Case) throws {
        let location = Location(latitude: c.latitude, longitude: c.longitude)
        let midnight = String(c.sunrise.prefix(10)) + "T00:00:00" + String(c.sunrise.suffix(6))
        for (event, reference) in [(SunEvent.sunrise, c.sunrise), (.sunset, c.sunset)] {
            let s = try schedule(.sun(event, offset: .zero), zone: c.zone, location: location)
            let fire = try #require(s.nextFire(after: instant(midnight)))
            let error = fire.timeIntervalSince(instant(reference))
            #expect(abs(error) <= 60, "\(c.place) \(event): \(s.zone.iso8601(fire)) vs \(reference)")
        }
    }

    @Test func offsetsShiftTheEvent() throws {
        let berlin = Location(latitude: 52.52, longitude: 13.405)
        let from = instant("2025-06-21T00:00:00+02:00")
        let plain = try #require(
            try schedule(.sun(.sunset, offset: .zero), zone: "Europe/Berlin", location: berlin)
                .nextFire(after: from))
        let early = try schedule(.sun(.sunset, offset: .seconds(-15 * 60)), zone: "Europe/Berlin", location: berlin)
        let late = try schedule(.sun(.sunrise, offset: .seconds(90 * 60)), zone: "Europe/Berlin", location: berlin)
        #expect(early.nextFire(after: from) == plain.addingTimeInterval(-900))
        let sunrise = try #require(
            try schedule(.sun(.sunrise, offset: .zero), zone: "Europe/Berlin", location: berlin)
                .nextFire(after: from))
        #expect(late.nextFire(after: from) == sunrise.addingTimeInterval(5400))
        // After today's shifted fire has passed, the next one is tomorrow's.
        let next = try #require(early.nextFire(after: plain.addingTimeInterval(-900)))
        let gap = next.timeIntervalSince(plain.addingTimeInterval(-900))
        #expect(gap > 86_400 - 120 && gap < 86_400 + 120)
    }

    @Test func consecutiveDaysAreAboutADayApart() throws {
        let s = try schedule(
            .sun(.sunrise, offset: .zero), zone: "Europe/Berlin",
            location: Location(latitude: 52.52, longitude: 13.405))
        let fires = s.fires(after: instant("2025-01-01T00:00:00+01:00"), count: 365)
        #expect(fires.count == 365)
        for (a, b) in zip(fires, fires.dropFirst()) {
            let gap = b.timeIntervalSince(a)
            #expect(gap > 86_400 - 300 && gap < 86_400 + 300)
        }
    }

    // Tromsø, 69.65° N: polar night (no sunrise from late November to mid-January) and midnight sun.
    static let tromso = Location(latitude: 69.6492, longitude: 18.9553)

    @Test func polarNightHasNoSunrise() throws {
        let s = try schedule(.sun(.sunrise, offset: .zero), zone: "Europe/Oslo", location: Self.tromso)
        let next = try #require(s.nextFire(after: instant("2025-12-10T00:00:00+01:00")))
        // PyEphem: first sunrise after the polar night 2026-01-15T11:29:35+01:00.
        #expect(next > instant("2026-01-13T00:00:00+01:00"))
        #expect(next < instant("2026-01-17T00:00:00+01:00"))
    }

    @Test func midnightSunHasNoSunset() throws {
        let s = try schedule(.sun(.sunset, offset: .zero), zone: "Europe/Oslo", location: Self.tromso)
        let next = try #require(s.nextFire(after: instant("2025-06-21T00:00:00+02:00")))
        // PyEphem: the first sunset after the midnight sun 2025-07-26T00:28:58+02:00.
        #expect(next > instant("2025-07-23T00:00:00+02:00"))
        #expect(next < instant("2025-07-28T00:00:00+02:00"))
    }

    @Test func neverRisingGivesUpWithNil() throws {
        // Near the South Pole in its winter: no sunrise for months; the search ends within ~400 days.
        let s = try schedule(
            .sun(.sunrise, offset: .zero), zone: "UTC",
            location: Location(latitude: -89.9, longitude: 0))
        let next = s.nextFire(after: instant("2025-04-01T00:00:00Z"))
        #expect(next.map { $0 > instant("2025-09-01T00:00:00Z") } ?? true)
    }

    @Test func sunWithoutLocationIsAClearError() {
        #expect(throws: ScheduleError("sun triggers need \"location\" in the config")) {
            try TriggerSchedule(
                trigger: Trigger(kind: .sun(.sunrise, offset: .zero)), defaultTimeZone: "UTC",
                location: nil)
        }
    }

    /// The search starts late enough to be fast and early enough to miss nothing, at any longitude.
    @Test func nextIsTheEarliestFireAfterTheStart() throws {
        var random: UInt64 = 7
        for (latitude, longitude) in [
            (52.5, 13.4), (-36.8, 174.8), (64.1, -21.9), (10.0, 179.9), (-10.0, -179.9), (69.6, 18.9),
        ] {
            for event in [SunEvent.sunrise, .sunset] {
                for offsetMinutes in [-720, -30, 0, 45, 600] {
                    let sun = SunSchedule(
                        event: event, offset: .seconds(offsetMinutes * 60),
                        location: Location(latitude: latitude, longitude: longitude))
                    for _ in 0..<20 {
                        random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        let after = 1_735_689_600 + Int(random >> 33) % (365 * 86_400)
                        let day = after / 86_400
                        let expected = ((day - 5)...(day + 400)).lazy.compactMap { sun.fire(onDay: $0) }.first {
                            $0 > after
                        }
                        #expect(
                            sun.next(after: after) == expected, "\(latitude),\(longitude) \(event) \(offsetMinutes)")
                    }
                }
            }
        }
    }
}
