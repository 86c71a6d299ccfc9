import Engine
import Foundation
import Synchronization

/// Virtual monotonic and wall time for engine tests: nothing really sleeps. `advance(by:)` moves both
/// clocks, waking sleepers in deadline order; `jumpWall(by:)` steps the wall clock alone (NTP step,
/// resume from suspend) and wakes wall sleepers with `.clockChanged`.
final class VirtualTime: Sendable {
    enum Deadline: Sendable {
        case mono(Duration)
        case wall(Date)
    }

    struct Sleeper: Sendable {
        var id: Int
        var deadline: Deadline
        var continuation: CheckedContinuation<WallClockWake, any Error>
    }

    struct State: Sendable {
        var mono: Duration = .zero
        var wallShift: Double = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<Int> = []
        var nextID = 0
        var activity = 0
    }

    let wallBase: Date
    let state = Mutex(State())
    /// Runs the engine and the fakes; `settle()` waits until it is idle.
    let executor = SerialTestExecutor()

    init(wallStart: Date = Date(timeIntervalSince1970: 1_767_571_200)) {  // Monday 2026-01-05 00:00 UTC
        wallBase = wallStart
    }

    var monoNow: Duration { state.withLock { $0.mono } }
    var wallNow: Date { state.withLock { wall(of: $0) } }

    private func wall(of s: State) -> Date { wallBase.addingTimeInterval(s.mono.asSeconds + s.wallShift) }

    /// The monotonic instant at which a deadline falls, given the state.
    private func monoDeadline(_ d: Deadline, _ s: State) -> Duration {
        switch d {
        case .mono(let m): return m
        case .wall(let date):
            let ahead = date.timeIntervalSince(wall(of: s))
            return s.mono + .milliseconds(Int64((ahead * 1000).rounded(.up)))
        }
    }

    /// Marks progress, so `settle()` waits for work that does not touch the clocks.
    func bump() { state.withLock { $0.activity += 1 } }

    func sleep(_ deadline: Deadline) async throws -> WallClockWake {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<WallClockWake, any Error>) in
                let immediate: Result<WallClockWake, any Error>? = state.withLock { s in
                    s.activity += 1
                    if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if monoDeadline(deadline, s) <= s.mono { return .success(.due) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return nil
                }
                if let immediate { c.resume(with: immediate) }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<WallClockWake, any Error>? in
                s.activity += 1
                if let i = s.sleepers.firstIndex(where: { $0.id == id }) {
                    return s.sleepers.remove(at: i).continuation
                }
                s.cancelled.insert(id)
                return nil
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Moves both clocks forward by `duration`, running everything that falls due on the way.
    func advance(by duration: Duration) async {
        let target = monoNow + duration
        while true {
            await settle()
            let woken = state.withLock { s -> [Sleeper] in
                guard let next = s.sleepers.map({ monoDeadline($0.deadline, s) }).min(), next <= target else {
                    return []
                }
                s.mono = max(s.mono, next)
                let snapshot = s
                let due = s.sleepers.filter { monoDeadline($0.deadline, snapshot) <= snapshot.mono }
                s.sleepers.removeAll { monoDeadline($0.deadline, snapshot) <= snapshot.mono }
                s.activity += 1
                return due
            }
            if woken.isEmpty { break }
            for sleeper in woken.sorted(by: { $0.id < $1.id }) { sleeper.continuation.resume(returning: .due) }
        }
        state.withLock { $0.mono = max($0.mono, target) }
        await settle()
    }

    /// Advances until the wall clock shows `date`.
    func advance(toWall date: Date) async {
        let ahead = date.timeIntervalSince(wallNow)
        if ahead > 0 { await advance(by: .milliseconds(Int64((ahead * 1000).rounded()))) }
    }

    /// Steps the wall clock (the monotonic clock does not move); wall sleepers wake with `.clockChanged`.
    func jumpWall(by seconds: Double) async {
        await settle()
        let woken = state.withLock { s -> [Sleeper] in
            s.wallShift += seconds
            s.activity += 1
            let wall = s.sleepers.filter { if case .wall = $0.deadline { return true } else { return false } }
            s.sleepers.removeAll { if case .wall = $0.deadline { return true } else { return false } }
            return wall
        }
        for sleeper in woken { sleeper.continuation.resume(returning: .clockChanged) }
        await settle()
    }

    /// Number of tasks sleeping on either clock.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Lets every runnable task run until nothing changes any more.
    func settle() async {
        var last = (-1, -1)
        var stable = 0
        while stable < 3 {
            await Task.detached { await Task.yield() }.value
            let (idle, executed) = executor.snapshot
            let now = (executed, state.withLock { $0.activity })
            if idle && now == last { stable += 1 } else { stable = 0 }
            last = now
        }
    }
}

/// A `Clock` on virtual monotonic time.
struct TestClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    let time: VirtualTime
    var now: Instant { Instant(offset: time.monoNow) }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        _ = try await time.sleep(.mono(deadline.offset))
    }
}

/// A `WallClock` on virtual wall time.
struct VirtualWallClock: WallClock {
    let time: VirtualTime
    func now() -> Date { time.wallNow }
    func sleep(until deadline: Date) async throws -> WallClockWake { try await time.sleep(.wall(deadline)) }
}

extension Duration {
    var asSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
