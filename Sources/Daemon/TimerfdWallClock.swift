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
        try Task.checkCancellation()
        let timer = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC))
        guard timer >= 0 else { throw WallClockError(function: "timerfd_create", code: errno) }
        let wake = eventfd(0, Int32(EFD_CLOEXEC))
        guard wake >= 0 else {
            close(timer)
            throw WallClockError(function: "eventfd", code: errno)
        }
        var spec = itimerspec()
        let seconds = deadline.timeIntervalSince1970
        // A deadline in the past still arms (1 ns after the epoch fires at once).
        let whole = max(0, seconds.rounded(.down))
        spec.it_value.tv_sec = Int(whole)
        spec.it_value.tv_nsec = max(1, Int((seconds - whole) * 1e9))
        let flags = Int32(TFD_TIMER_ABSTIME) | Int32(TFD_TIMER_CANCEL_ON_SET)
        guard timerfd_settime(timer, flags, &spec, nil) == 0 else {
            let code = errno
            close(timer)
            close(wake)
            throw WallClockError(function: "timerfd_settime", code: code)
        }
        let result: Result<WallClockWake, Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: TimerfdWallClock.wait(timer: timer, wake: wake))
                }
                thread.name = "routines-wallclock"
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
