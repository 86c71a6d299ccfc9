import Engine
import FoundationEssentials
import Synchronization
import SystemIO
import ThreadExecutor

/// The real wall clock: each sleep arms an absolute `CLOCK_REALTIME` timerfd with
/// `TFD_TIMER_CANCEL_ON_SET`, so a wall-clock step (NTP, `date -s`, resume from suspend) ends the
/// sleep with `.clockChanged` and the engine re-plans at once. The daemon's `routines-clock` thread
/// watches the timerfd (never Swift's cooperative pool); a cancelled task ends the sleep from there.
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
        try await TimerThread.executor.sleep(until: deadline)
    }
}

/// The daemon's timer threads: monotonic sleeps wait in `routines-timer`'s one CLOCK_BOOTTIME
/// timerfd armed for the earliest deadline (a sleep arms or disarms it from the sleeper's thread, so
/// that thread wakes only when a deadline is due); wall-clock sleeps are a timerfd each that
/// `routines-clock` watches. Sleeps cost no thread of their own.
enum TimerThread {
    static let executor = DedicatedThreadExecutor(name: "routines-timer", stackSize: 256 * 1024)
    static let wallClock = DedicatedThreadExecutor(name: "routines-clock", stackSize: 256 * 1024)
}

/// One wall-clock sleep: a timerfd of its own, watched by `routines-clock`; a cancelled task ends
/// it from there.
enum TimerfdSleep {
    static func sleep(clock: KernelClock, until nanoseconds: Int64, cancelOnSet: Bool) async throws -> WallClockWake {
        try Task.checkCancellation()
        let timer = try TimerFD(clock: clock, nonBlocking: true)
        // The watch has ended (on the clock thread) before the sleep returns or throws.
        defer { timer.close() }
        try timer.arm(atNanoseconds: nanoseconds, cancelOnSet: cancelOnSet)
        let executor = TimerThread.wallClock
        let sleep = WallClockSleep()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WallClockWake, Error>) in
                // Begun on the clock thread, like its end: a cancel that came first is seen here.
                executor.execute {
                    guard sleep.begin(continuation) else {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    let watch = executor.watch(timer.descriptor) {
                        let result: Result<WallClockWake, Error>
                        do {
                            switch try timer.read() {
                            case .notYet: return
                            case .clockChanged: result = .success(.clockChanged)
                            case .expired: result = .success(.due)
                            }
                        } catch {
                            result = .failure(error)
                        }
                        sleep.end()?.resume(with: result)
                    }
                    sleep.watching(watch)
                }
            }
        } onCancel: {
            executor.execute {
                sleep.end()?.resume(throwing: CancellationError())
            }
        }
    }
}

/// The state of one wall-clock sleep, changed only on `routines-clock` (a lock all the same, so it
/// can be shared with the closures that run there).
final class WallClockSleep: Sendable {
    private enum State {
        case waiting
        case sleeping(CheckedContinuation<WallClockWake, Error>, DedicatedThreadExecutor.FileWatch?)
        case ended
    }
    private let state = Mutex(State.waiting)

    /// Starts sleeping; false when the sleep was cancelled before.
    func begin(_ continuation: CheckedContinuation<WallClockWake, Error>) -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .sleeping(continuation, nil)
            return true
        }
    }

    func watching(_ watch: DedicatedThreadExecutor.FileWatch) {
        state.withLock { state in
            if case .sleeping(let continuation, nil) = state { state = .sleeping(continuation, watch) }
        }
    }

    /// Ends the sleep (stops the watch); its continuation when it was still sleeping, for the caller
    /// to resume.
    func end() -> CheckedContinuation<WallClockWake, Error>? {
        let ended = state.withLock {
            state -> (CheckedContinuation<WallClockWake, Error>, DedicatedThreadExecutor.FileWatch?)? in
            defer { state = .ended }
            guard case .sleeping(let continuation, let watch) = state else { return nil }
            return (continuation, watch)
        }
        guard let (continuation, watch) = ended else { return nil }
        if let watch { TimerThread.wallClock.unwatch(watch) }
        return continuation
    }
}
