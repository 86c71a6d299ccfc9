import Foundation
import RoutineModel
import Schedule
import Testing

@testable import Engine

/// Whether the Schedule module is implemented yet (its stub throws); these tests run once it is.
let scheduleModuleWorks: Bool = {
    guard (try? ZoneRules.named("Europe/Berlin")) != nil else { return false }
    let trigger = Trigger(kind: .at(TimeOfDay(hour: 7, minute: 0), days: nil))
    return (try? TriggerSchedule(trigger: trigger, defaultTimeZone: "Europe/Berlin", location: nil)) != nil
}()

/// The engine with the real `TriggerSchedule` and zone rules, across daylight-saving days (SPEC §3).
@Suite(.enabled(if: scheduleModuleWorks, "the Schedule module is still a stub"), .timeLimit(.minutes(1)))
struct RealScheduleTests {
    func harness(start: String) throws -> Harness {
        let zone = try ZoneRules.named("Europe/Berlin")
        return Harness(
            time: VirtualTime(wallStart: date(start)),
            fireCalculator: ScheduleFireCalculator(defaultTimeZone: "Europe/Berlin", location: nil),
            localTime: ZoneLocalTimeProvider(zone: zone))
    }

    @Test func springForwardGapFiresOnceAfterTheGap() async throws {
        // 2026-03-29: 02:00 CET → 03:00 CEST at 01:00 UTC; 02:30 does not exist.
        let h = try harness(start: "2026-03-28T12:00:00Z")
        await h.start([
            routine("alarm", triggers: [Trigger(kind: .at(TimeOfDay(hour: 2, minute: 30), days: nil))], [tone()])
        ])
        await h.time.advance(toWall: date("2026-03-30T12:00:00Z"))
        let starts = await h.records("alarm").map(\.startedAt)
        #expect(starts == [date("2026-03-29T01:00:00Z"), date("2026-03-30T00:30:00Z")])
    }

    @Test func fallBackRepeatFiresOnceAtTheFirstOccurrence() async throws {
        // 2026-10-25: 03:00 CEST → 02:00 CET at 01:00 UTC; 02:30 happens twice.
        let h = try harness(start: "2026-10-24T12:00:00Z")
        await h.start([
            routine("alarm", triggers: [Trigger(kind: .at(TimeOfDay(hour: 2, minute: 30), days: nil))], [tone()])
        ])
        await h.time.advance(toWall: date("2026-10-25T12:00:00Z"))
        #expect(await h.records("alarm").map(\.startedAt) == [date("2026-10-25T00:30:00Z")])
    }

    @Test func localTimeDrivesConditionsAndTemplates() async throws {
        let h = try harness(start: "2026-07-01T05:00:00Z")  // 07:00 CEST, Wednesday
        await h.start([
            routine(
                "say",
                conditions: [
                    .days([.wed]), .time(after: TimeOfDay(hour: 6, minute: 0), before: TimeOfDay(hour: 8, minute: 0)),
                ],
                [.announce(AnnounceSpec(text: "{time} {weekday}", output: "speakers"))])
        ])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(10))
        #expect(h.speech.texts == ["07:00 Wednesday"])
    }
}
