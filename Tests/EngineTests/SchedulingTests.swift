import Foundation
import RoutineModel
import Testing

@testable import Engine

@Suite(.timeLimit(.minutes(1))) struct SchedulingTests {
    func at(_ h: Int, _ m: Int, catchUp: Duration? = nil, jitter: Duration? = nil) -> Trigger {
        Trigger(kind: .at(TimeOfDay(hour: h, minute: m), days: nil), jitter: jitter, catchUp: catchUp)
    }

    @Test func atTriggerFiresOnTimeAndRecordsItsMark() async throws {
        let h = Harness()
        await h.start([routine("alarm", triggers: [at(7, 0)], [tone()])])
        await h.time.advance(toWall: date("2026-01-05T06:59:59Z"))
        #expect(await h.records("alarm").isEmpty)
        await h.time.advance(toWall: date("2026-01-05T07:00:00Z"))
        let records = await h.records("alarm")
        #expect(records.map(\.startedAt) == [date("2026-01-05T07:00:00Z")])
        #expect(records[0].trigger == "alarm#0")
        #expect(await h.store.marks["alarm#0"] == date("2026-01-05T07:00:00Z"))
        let status = await h.engine.status().routines.first { $0.name == "alarm" }
        #expect(status?.nextFire == date("2026-01-06T07:00:00Z"))
        #expect(status?.lastRun == date("2026-01-05T07:00:00Z"))
        await h.time.advance(toWall: date("2026-01-07T08:00:00Z"))
        #expect(await h.records("alarm").count == 3)
    }

    @Test func catchUpAfterTheDaemonWasDown() async throws {
        let routines = [
            routine("lenient", triggers: [at(7, 0, catchUp: .seconds(1800))], [tone()]),
            routine("short", triggers: [at(7, 0, catchUp: .seconds(600))], [tone()]),
            routine("never", triggers: [at(7, 0)], [tone()]),
        ]
        let first = Harness()
        await first.start(routines)
        await first.time.advance(toWall: date("2026-01-05T06:00:00Z"))
        await first.engine.shutdown()
        // Down across 07:00: nothing runs.
        await first.time.advance(toWall: date("2026-01-05T07:20:00Z"))
        #expect(await first.records("lenient").isEmpty)
        let second = Harness(sharing: first)
        await second.start(routines)
        #expect(await second.records("lenient").map(\.trigger) == ["catchUp:lenient#0"])
        #expect(await second.records("short").isEmpty)
        #expect(await second.records("never").isEmpty)
        #expect(second.logs.contains("routine short: 1 fire(s) missed while down"))
        // The next day fires normally, once each.
        await second.time.advance(toWall: date("2026-01-06T07:30:00Z"))
        #expect(await second.records("lenient").count == 2)
        #expect(await second.records("short").count == 1)
        #expect(await second.records("never").count == 1)
    }

    @Test func wallClockJumpsForwardAndBackNeverFireTwice() async throws {
        let h = Harness()
        await h.start([
            routine("daily", triggers: [at(8, 0, catchUp: .seconds(3600))], [tone()]),
            routine("strict", triggers: [at(8, 0)], [tone()]),
            routine(
                "minutely", mode: .parallel,
                triggers: [
                    Trigger(
                        kind: .cron(
                            CronExpression(
                                source: "* * * * *", seconds: 1, minutes: ~0, hours: ~0, daysOfMonth: ~0, months: ~0,
                                daysOfWeek: ~0,
                                dayOfMonthRestricted: false, dayOfWeekRestricted: false, hourIsFixed: false)))
                ], [.wait(.seconds(1))]),
        ])
        await h.time.advance(toWall: date("2026-01-05T07:59:50Z"))
        let minutelyBefore = await h.records("minutely").count
        #expect(minutelyBefore == 479)
        await h.time.jumpWall(by: 30 * 60)  // NTP step / resume: now 08:29:50
        #expect(await h.records("daily").map(\.trigger) == ["daily#0"])
        #expect(await h.records("strict").isEmpty)
        #expect(h.logs.contains("routine strict: 1 fire(s) missed by a clock jump"))
        #expect(h.logs.contains("routine minutely: 30 fire(s) missed by a clock jump"))
        await h.time.advance(toWall: date("2026-01-05T08:31:00Z"))
        #expect(await h.records("minutely").count == minutelyBefore + 2)
        await h.time.jumpWall(by: -45 * 60)  // back to 07:46:00: 08:00 and 08:00–08:31 already handled
        await h.time.advance(toWall: date("2026-01-05T08:40:00Z"))
        #expect(await h.records("daily").count == 1)
        #expect(await h.records("strict").isEmpty)
        let starts = await h.records("minutely").map(\.startedAt)
        // Every minute fired at most once: fire instants (wall) are unique.
        let minutes = starts.map { Int($0.timeIntervalSince1970 / 60) }
        #expect(Set(minutes).count == minutes.count)
        #expect(starts.count == minutelyBefore + 2 + 9)  // 08:32 … 08:40 after the jump back
        await h.time.advance(toWall: date("2026-01-06T08:00:00Z"))
        #expect(await h.records("daily").count == 2)
        #expect(await h.records("strict").count == 1)
    }

    @Test func everyFiresOnTheMonotonicClockWithJitter() async throws {
        let h = Harness(jitterSeed: 42)
        await h.start([
            routine(
                "tick", mode: .parallel, triggers: [Trigger(kind: .every(.seconds(10)))],
                [tone(1, output: "speakers")]),
            routine(
                "jittery", mode: .parallel, triggers: [Trigger(kind: .every(.seconds(60)), jitter: .seconds(5))],
                [tone(1, output: "headphones")]),
        ])
        await h.advance(.seconds(35))
        #expect(await h.plays(on: "speakers").map(\.start) == [.seconds(10), .seconds(20), .seconds(30)])
        await h.time.jumpWall(by: 3600)  // the wall clock does not move `every`
        await h.advance(.seconds(600))
        let jittered = await h.plays(on: "headphones").map(\.start)
        #expect(jittered.count == 10)
        for (i, start) in jittered.enumerated() {
            let due = Duration.seconds(60 * (i + 1))
            #expect(start >= due && start <= due + .seconds(5))
        }
        #expect(Set(jittered.map { $0 - .seconds(60 * (jittered.firstIndex(of: $0)! + 1)) }).count > 1)
    }

    /// Loading speed is measured by the benchmarks; this checks 10,000 routines load, plan and fire.
    @Test func tenThousandRoutinesLoadAndFire() async throws {
        let h = Harness()
        let routines = (0..<10_000).map { i in
            routine(
                "r\(i)",
                triggers: [at((i * 7) % 24, (i * 13) % 60), Trigger(kind: .event(name: "e\(i % 100)", match: [:]))],
                [tone(1, output: "speakers")])
        }
        for r in routines[..<5000] { await h.engine.apply(r) }
        await h.engine.start()
        for r in routines[5000...] { await h.engine.apply(r) }
        #expect(await h.engine.routineNames().count == 10_000)
        await h.time.settle()
        await h.engine.raise(Event("e7"))
        await h.advance(.seconds(1))
        #expect(await h.store.records().count == 100)
        // The earliest at 00:01 belongs to routines with (i*7)%24 == 0 and (i*13)%60 == 1.
        await h.time.advance(toWall: date("2026-01-05T00:01:00Z"))
        let expected = (0..<10_000).filter { ($0 * 7) % 24 == 0 && ($0 * 13) % 60 == 1 }.count
        #expect(await h.store.records().count == 100 + expected)
    }
}

@Suite(.timeLimit(.minutes(1))) struct WallJitterTests {
    @Test func jitterDelaysAWallClockFireWithinItsBound() async throws {
        let h = Harness(jitterSeed: 9)
        await h.start([
            routine(
                "alarm",
                triggers: [Trigger(kind: .at(TimeOfDay(hour: 7, minute: 0), days: nil), jitter: .seconds(30))],
                [tone()])
        ])
        await h.time.advance(toWall: date("2026-01-10T08:00:00Z"))
        let starts = await h.records("alarm").map(\.startedAt)
        #expect(starts.count == 6)
        for (day, start) in starts.enumerated() {
            let due = date("2026-01-05T07:00:00Z").addingTimeInterval(Double(day) * 86_400)
            #expect(start >= due && start <= due.addingTimeInterval(30))
        }
        #expect(Set(starts.map { Int($0.timeIntervalSince1970) % 86_400 }).count > 1)
    }
}

@Suite(.timeLimit(.minutes(1))) struct UpcomingFireTests {
    @Test func upcomingFiresAreMergedInTimeOrder() async throws {
        let h = Harness()
        await h.start([
            routine("a", triggers: [Trigger(kind: .at(TimeOfDay(hour: 7, minute: 0), days: nil))], [tone()]),
            routine(
                "b", triggers: [Trigger(id: "noon", kind: .at(TimeOfDay(hour: 12, minute: 0), days: [.tue]))],
                [tone()]),
            routine("c", triggers: [Trigger(kind: .every(.seconds(5)))], [tone()]),
        ])
        let all = await h.engine.upcomingFires(count: 4)
        #expect(all.map(\.trigger) == ["a#0", "a#0", "b#noon", "a#0"])
        #expect(
            all.map(\.time) == [
                date("2026-01-05T07:00:00Z"), date("2026-01-06T07:00:00Z"), date("2026-01-06T12:00:00Z"),
                date("2026-01-07T07:00:00Z"),
            ])
        #expect(
            await h.engine.upcomingFires(routine: "b", count: 2).map(\.time) == [
                date("2026-01-06T12:00:00Z"), date("2026-01-13T12:00:00Z"),
            ])
        #expect(await h.engine.upcomingFires(routine: "c", count: 2).isEmpty)
    }
}

@Suite(.timeLimit(.minutes(1))) struct HotReloadCatchUpTests {
    @Test func aReloadAfterStartDoesNotCatchUp() async throws {
        let h = Harness()
        let early = routine(
            "r", triggers: [Trigger(kind: .at(TimeOfDay(hour: 7, minute: 0), days: nil), catchUp: .seconds(7200))],
            [tone()])
        await h.start([early])
        await h.time.advance(toWall: date("2026-01-05T07:30:00Z"))
        #expect(await h.records("r").count == 1)
        // Edited to 07:15: already past today; a reload is not a restart, so it does not run now.
        var edited = early
        edited.triggers[0].kind = .at(TimeOfDay(hour: 7, minute: 15), days: nil)
        await h.engine.apply(edited)
        await h.advance(.seconds(60))
        #expect(await h.records("r").count == 1)
        #expect(await h.engine.upcomingFires(routine: "r", count: 1).map(\.time) == [date("2026-01-06T07:15:00Z")])
    }
}

@Suite(.timeLimit(.minutes(1))) struct SuspendResumeTests {
    @Test func resumeFromSuspendRunsAMissedFireOnceWithinCatchUp() async throws {
        let h = Harness()
        await h.start([
            routine(
                "backup",
                triggers: [Trigger(kind: .at(TimeOfDay(hour: 3, minute: 0), days: nil), catchUp: .seconds(3600))],
                [tone()]),
            routine(
                "report", triggers: [Trigger(kind: .at(TimeOfDay(hour: 3, minute: 10), days: nil))], [tone()]),
            routine(
                "tick", mode: .parallel, triggers: [Trigger(kind: .every(.seconds(600)))],
                [tone(1, output: "headphones")]),
        ])
        await h.time.advance(toWall: date("2026-01-05T02:30:00Z"))
        let ticks = await h.plays(on: "headphones").count
        // Suspended from 02:30 to 04:00: the wall clock jumps; the monotonic clock (suspending) does not move.
        await h.time.jumpWall(by: 90 * 60)
        #expect(await h.records("backup").map(\.startedAt) == [date("2026-01-05T04:00:00Z")])
        #expect(await h.records("report").isEmpty)
        #expect(h.logs.contains("routine report: 1 fire(s) missed by a clock jump"))
        await h.advance(.seconds(600))
        #expect(await h.plays(on: "headphones").count == ticks + 1)
        await h.time.advance(toWall: date("2026-01-06T03:10:00Z"))
        #expect(await h.records("backup").count == 2)
        #expect(await h.records("report").count == 1)
    }
}
