import Engine
import Foundation
import CLinux
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
/// instants (CLOCK_BOOTTIME, so time asleep counts), with each sleep an absolute CLOCK_BOOTTIME
/// timerfd on a thread of its own. `Task.sleep` is not used for these waits because, in this Swift
/// runtime on Linux, any pending `Task.sleep` makes libdispatch's manager thread wake every second
/// (measured: 60 context switches a minute for one 100 s sleep), which an idle daemon must not do.
public struct TimerfdContinuousClock: Clock {
    public typealias Instant = ContinuousClock.Instant
    public init() {}

    public var now: Instant { ContinuousClock.now }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        // The deadline as an absolute CLOCK_BOOTTIME reading: now on that clock plus what is left.
        var value = timespec()
        clock_gettime(CLOCK_BOOTTIME, &value)
        let left = max(.zero, ContinuousClock.now.duration(to: deadline))
        let nanoseconds = Int64(value.tv_nsec) + left.components.attoseconds / 1_000_000_000
        value.tv_sec += Int(left.components.seconds) + Int(nanoseconds / 1_000_000_000)
        value.tv_nsec = max(1, Int(nanoseconds % 1_000_000_000))
        _ = try await TimerfdSleep.sleep(clock: CLOCK_BOOTTIME, until: value, cancelOnSet: false)
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
        var fds = [pollfd(fd: timer, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
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
