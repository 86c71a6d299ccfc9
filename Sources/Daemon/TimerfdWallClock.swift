import Engine
import Foundation
import SystemIO

/// The real wall clock: each sleep arms an absolute `CLOCK_REALTIME` timerfd with
/// `TFD_TIMER_CANCEL_ON_SET`, so a wall-clock step (NTP, `date -s`, resume from suspend) ends the
/// sleep with `.clockChanged` and the engine re-plans at once. The blocking `poll` runs on a thread
/// of its own, never on Swift's cooperative pool; a cancelled task wakes it through an eventfd.
public struct TimerfdWallClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws -> WallClockWake {
        let seconds = deadline.timeIntervalSince1970
        // A deadline in the past still arms (1 ns after the epoch fires at once).
        let whole = max(0, seconds.rounded(.down))
        let nanoseconds = Int64(whole) * 1_000_000_000 + Int64((seconds - whole) * 1e9)
        return try await TimerfdSleep.sleep(clock: .realtime, until: nanoseconds, cancelOnSet: true)
    }
}

/// The monotonic clock the engine sleeps on (`every`, `idle`, `wait`, `jitter`): `ContinuousClock`'s
/// instants (CLOCK_BOOTTIME, so time asleep counts). All its sleeps share one thread and one
/// absolute CLOCK_BOOTTIME timerfd armed for the earliest deadline. `Task.sleep` is not used for
/// these waits because, in this Swift runtime on Linux, a pending `Task.sleep` keeps libdispatch's
/// manager thread waking every second, which an idle daemon must not do.
public struct TimerfdContinuousClock: Clock {
    public typealias Instant = ContinuousClock.Instant
    public init() {}

    public var now: Instant { ContinuousClock.now }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        // The deadline as nanoseconds on CLOCK_BOOTTIME: now on that clock plus what is left.
        let left = max(.zero, ContinuousClock.now.duration(to: deadline))
        let due =
            TimerThread.bootNanoseconds() + left.components.seconds * 1_000_000_000
            + left.components.attoseconds / 1_000_000_000
        try await TimerThread.shared.sleep(until: due)
    }
}

/// One thread that wakes sleepers at their CLOCK_BOOTTIME deadlines: a timerfd armed for the
/// earliest (re-armed by whoever adds an earlier one). Sleeps cost no thread of their own, and the
/// thread wakes only when a deadline is due.
final class TimerThread: @unchecked Sendable {
    // @unchecked: `sleepers`, `nextID` and `cancelledEarly` are guarded by `lock`.
    static let shared = TimerThread()

    private struct Sleeper {
        var due: Int64
        var id: Int
        var continuation: CheckedContinuation<Void, Error>
    }

    private let lock = NSLock()
    private var sleepers: [Sleeper] = []  // sorted by `due`
    private var nextID = 0
    private var cancelledEarly: Set<Int> = []
    private let timer: TimerFD

    private init() {
        do {
            timer = try TimerFD(clock: .boottime)
        } catch {
            // Only when the process is out of descriptors or kernel memory at its first sleep.
            preconditionFailure("\(error)")
        }
        let thread = Thread { [self] in
            CurrentThread.setName("routines-timer")
            loop()
        }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    static func bootNanoseconds() -> Int64 { KernelClock.boottime.nanoseconds }

    private func newID() -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        return nextID
    }

    func sleep(until due: Int64) async throws {
        let id = newID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                lock.lock()
                if cancelledEarly.remove(id) != nil {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let index = sleepers.firstIndex { $0.due > due } ?? sleepers.endIndex
                // A new earliest deadline: re-arm from here (timerfd_settime is thread-safe), so the
                // timer thread wakes only when it is due.
                if index == 0, let error = arm(due) {
                    lock.unlock()
                    continuation.resume(throwing: error)
                    return
                }
                sleepers.insert(Sleeper(due: due, id: id, continuation: continuation), at: index)
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            if let index = sleepers.firstIndex(where: { $0.id == id }) {
                let sleeper = sleepers.remove(at: index)
                lock.unlock()
                sleeper.continuation.resume(throwing: CancellationError())
            } else {
                cancelledEarly.insert(id)
                lock.unlock()
            }
        }
    }

    /// Arms the timer for `due` (0: disarms); returns the error when the kernel refuses. Called with
    /// `lock` held.
    private func arm(_ due: Int64) -> SystemCallError? {
        do {
            if due > 0 { try timer.arm(atNanoseconds: due) } else { try timer.disarm() }
            return nil
        } catch {
            return error
        }
    }

    private func loop() {
        while true {
            let failure: SystemCallError?
            do {
                if try Poll.wait([(timer.descriptor, .readable)]) != [[]] { _ = try timer.read() }
                failure = nil
            } catch {
                failure = error
            }
            let now = Self.bootNanoseconds()
            lock.lock()
            // Due sleepers wake; if the timer cannot be waited on or re-armed, every sleeper gets
            // the error instead of sleeping forever.
            var dueCount = sleepers.firstIndex { $0.due > now } ?? sleepers.endIndex
            var error = failure
            if error == nil, let next = sleepers.dropFirst(dueCount).first { error = arm(next.due) }
            if error != nil { dueCount = sleepers.count }
            let due = Array(sleepers[..<dueCount])
            sleepers.removeFirst(dueCount)
            if sleepers.isEmpty { _ = arm(0) }
            lock.unlock()
            for sleeper in due {
                if let error { sleeper.continuation.resume(throwing: error) } else { sleeper.continuation.resume() }
            }
            if failure != nil { return }
        }
    }
}

/// One blocking timerfd wait, on a thread of its own (never Swift's cooperative pool); a cancelled
/// task wakes it through an eventfd.
enum TimerfdSleep {
    static func sleep(clock: KernelClock, until nanoseconds: Int64, cancelOnSet: Bool) async throws -> WallClockWake {
        try Task.checkCancellation()
        let timer = try TimerFD(clock: clock)
        let wake: EventFD
        do {
            wake = try EventFD()
        } catch {
            timer.close()
            throw error
        }
        do {
            try timer.arm(atNanoseconds: nanoseconds, cancelOnSet: cancelOnSet)
        } catch {
            timer.close()
            wake.close()
            throw error
        }
        let result: Result<WallClockWake, Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    // (Foundation's Thread.name does not reach the kernel's thread name on Linux.)
                    CurrentThread.setName("routines-timer")
                    continuation.resume(returning: wait(timer: timer, wake: wake))
                }
                thread.stackSize = 256 * 1024
                thread.start()
            }
        } onCancel: {
            try? wake.signal()
        }
        timer.close()
        wake.close()
        return try result.get()
    }

    /// Blocks until the timer fires, the clock is set, or the wake fd is written.
    private static func wait(timer: TimerFD, wake: EventFD) -> Result<WallClockWake, Error> {
        do {
            while true {
                let ready = try Poll.wait([(timer.descriptor, .readable), (wake.descriptor, .readable)])
                if ready[1] != [] { return .failure(CancellationError()) }
                if ready[0] != [] {
                    switch try timer.read() {
                    case .clockChanged: return .success(.clockChanged)
                    case .notYet: continue
                    case .expired: return .success(.due)
                    }
                }
            }
        } catch {
            return .failure(error)
        }
    }
}
