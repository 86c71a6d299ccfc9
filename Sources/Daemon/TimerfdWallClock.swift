import CLinux
import Engine
import Foundation
import Glibc

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
        var value = timespec()
        value.tv_sec = Int(whole)
        value.tv_nsec = max(1, Int((seconds - whole) * 1e9))
        return try await TimerfdSleep.sleep(clock: CLOCK_REALTIME, until: value, cancelOnSet: true)
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
    private let timer: Int32

    private init() {
        timer = timerfd_create(CLOCK_BOOTTIME, Int32(TFD_CLOEXEC))
        precondition(timer >= 0, "timerfd_create: \(String(cString: strerror(errno)))")
        let thread = Thread { [self] in
            routines_name_thread("routines-timer")
            loop()
        }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    static func bootNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

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
                sleepers.insert(Sleeper(due: due, id: id, continuation: continuation), at: index)
                // A new earliest deadline: re-arm from here (timerfd_settime is thread-safe), so the
                // timer thread wakes only when it is due.
                if index == 0 { arm(due) }
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

    /// Arms the timer for `due` (0: disarms). Called with `lock` held.
    private func arm(_ due: Int64) {
        var spec = itimerspec()
        if due > 0 {
            spec.it_value.tv_sec = Int(due / 1_000_000_000)
            spec.it_value.tv_nsec = max(1, Int(due % 1_000_000_000))
        }
        timerfd_settime(timer, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    private func loop() {
        var fds = pollfd(fd: timer, events: Int16(POLLIN), revents: 0)
        while true {
            if poll(&fds, 1, -1) < 0 && errno != EINTR { return }
            var drained: UInt64 = 0
            if fds.revents != 0 { _ = read(timer, &drained, 8) }
            let now = Self.bootNanoseconds()
            lock.lock()
            let dueCount = sleepers.firstIndex { $0.due > now } ?? sleepers.endIndex
            let due = Array(sleepers[..<dueCount])
            sleepers.removeFirst(dueCount)
            arm(sleepers.first?.due ?? 0)
            lock.unlock()
            for sleeper in due { sleeper.continuation.resume() }
        }
    }
}

/// One blocking timerfd wait, on a thread of its own (never Swift's cooperative pool); a cancelled
/// task wakes it through an eventfd.
enum TimerfdSleep {
    static func sleep(clock: Int32, until value: timespec, cancelOnSet: Bool) async throws -> WallClockWake {
        try Task.checkCancellation()
        let timer = timerfd_create(clock, Int32(TFD_CLOEXEC))
        guard timer >= 0 else { throw WallClockError(function: "timerfd_create", code: errno) }
        let wake = eventfd(0, Int32(EFD_CLOEXEC))
        guard wake >= 0 else {
            close(timer)
            throw WallClockError(function: "eventfd", code: errno)
        }
        var spec = itimerspec()
        spec.it_value = value
        let flags = Int32(TFD_TIMER_ABSTIME) | (cancelOnSet ? Int32(TFD_TIMER_CANCEL_ON_SET) : 0)
        guard timerfd_settime(timer, flags, &spec, nil) == 0 else {
            let code = errno
            close(timer)
            close(wake)
            throw WallClockError(function: "timerfd_settime", code: code)
        }
        let result: Result<WallClockWake, Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    // (Foundation's Thread.name does not reach the kernel's thread name on Linux.)
                    routines_name_thread("routines-timer")
                    continuation.resume(returning: wait(timer: timer, wake: wake))
                }
                thread.stackSize = 256 * 1024
                thread.start()
            }
        } onCancel: {
            var one: UInt64 = 1
            _ = write(wake, &one, 8)
        }
        close(timer)
        close(wake)
        return try result.get()
    }

    /// Blocks until the timer fires, the clock is set, or the wake fd is written.
    private static func wait(timer: Int32, wake: Int32) -> Result<WallClockWake, Error> {
        var fds = [
            pollfd(fd: timer, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return .failure(WallClockError(function: "poll", code: errno))
            }
            if fds[1].revents != 0 { return .failure(CancellationError()) }
            if fds[0].revents != 0 {
                var expirations: UInt64 = 0
                let count = read(timer, &expirations, 8)
                if count < 0 && errno == ECANCELED { return .success(.clockChanged) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if count < 0 { return .failure(WallClockError(function: "read(timerfd)", code: errno)) }
                return .success(.due)
            }
        }
    }
}

/// A failed timer system call, with the call's name and the C library's message.
public struct WallClockError: Error, CustomStringConvertible {
    public var function: String
    public var code: Int32
    public var description: String { "\(function): \(String(cString: strerror(code)))" }
}
