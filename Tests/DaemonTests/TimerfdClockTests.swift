import Daemon
import Foundation
import Testing

/// The timerfd clocks the daemon sleeps on (they replace `Task.sleep`, which keeps libdispatch's
/// manager thread waking every second while any sleep is pending).
@Suite(.serialized) struct TimerfdClockTests {
    @Test func continuousSleepEndsAtItsDeadlineNotBefore() async throws {
        let clock = TimerfdContinuousClock()
        let start = ContinuousClock.now
        try await clock.sleep(until: clock.now + .milliseconds(30))
        let elapsed = start.duration(to: ContinuousClock.now)
        #expect(elapsed >= .milliseconds(30))
    }

    @Test func pastDeadlinesReturnAtOnce() async throws {
        let clock = TimerfdContinuousClock()
        try await clock.sleep(until: clock.now - .seconds(1))
        let wake = try await TimerfdWallClock().sleep(until: Date(timeIntervalSinceNow: -10))
        #expect(wake == .due)
    }

    @Test func cancellingASleepWakesItAtOnce() async throws {
        let task = Task { try await TimerfdContinuousClock().sleep(for: .seconds(3600)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let wall = Task { try await TimerfdWallClock().sleep(until: Date(timeIntervalSinceNow: 3600)) }
        wall.cancel()
        await #expect(throws: CancellationError.self) { _ = try await wall.value }
    }

    /// While a sleep is pending, the timer thread (one for all sleeps) blocks in poll until the
    /// deadline: no periodic wake-ups.
    @Test func aPendingSleepCausesNoPeriodicWakeUps() async throws {
        let sleeping = Task { try await TimerfdContinuousClock().sleep(for: .seconds(3600)) }
        defer { sleeping.cancel() }
        // Find the waiting thread by name and check it is blocked, not re-arming.
        var waiter: String?
        for _ in 0..<200 where waiter == nil {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            waiter = tasks.first { id in
                (try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8))?.hasPrefix(
                    "routines-timer") == true
            }
            if waiter == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        let id = try #require(waiter)
        // The shared timer thread re-arms once for the new deadline; let it settle first.
        try await Task.sleep(for: .milliseconds(200))
        func switches() -> Int {
            let status = String(
                decoding: FileHandle(forReadingAtPath: "/proc/self/task/\(id)/status")?.readDataToEndOfFile() ?? Data(),
                as: UTF8.self)
            let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches") } ?? ""
            return Int(line.split(separator: "\t").last ?? "") ?? -1
        }
        let before = switches()
        try await Task.sleep(for: .milliseconds(1500))
        #expect(switches() == before, "the waiting thread woke while its deadline was an hour away")
    }
}
