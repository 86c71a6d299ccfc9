import CLinux
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel clocks timers run on.
public enum KernelClock: Sendable {
    /// Wall-clock time (`CLOCK_REALTIME`): steps with NTP, `date -s` and resume.
    case realtime
    /// Time since boot without time asleep (`CLOCK_MONOTONIC`).
    case monotonic
    /// Time since boot, time asleep included (`CLOCK_BOOTTIME`, what `ContinuousClock` reads).
    case boottime

    var id: clockid_t {
        switch self {
        case .realtime: CLOCK_REALTIME
        case .monotonic: CLOCK_MONOTONIC
        case .boottime: CLOCK_BOOTTIME
        }
    }

    /// Now on this clock, in nanoseconds (`clock_gettime`, which cannot fail for these clocks).
    public var nanoseconds: Int64 {
        var now = timespec()
        clock_gettime(id, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

/// A timer as a file descriptor (`timerfd`): armed for an absolute instant on its clock, readable
/// in `Poll.wait` once it is due, and (on the realtime clock, with `cancelOnSet`) when the clock is
/// set, so a wall-clock step ends a wait at once.
public struct TimerFD: Sendable {
    public let descriptor: FileDescriptor
    public let clock: KernelClock

    /// What `read` found.
    public enum Expiry: Sendable, Equatable {
        /// Due (this many times since the last read).
        case expired(UInt64)
        /// The realtime clock was set while armed with `cancelOnSet` (ECANCELED).
        case clockChanged
        /// Not due yet (a non-blocking timer).
        case notYet
    }

    /// A disarmed timer on `clock` (`timerfd_create`, with TFD_CLOEXEC; `nonBlocking`: TFD_NONBLOCK).
    public init(clock: KernelClock, nonBlocking: Bool = false) throws(SystemCallError) {
        let flags = Int32(TFD_CLOEXEC) | (nonBlocking ? Int32(TFD_NONBLOCK) : 0)
        descriptor = FileDescriptor(
            rawValue: try retryingInterrupts("timerfd_create") { timerfd_create(clock.id, flags) })
        self.clock = clock
    }

    /// Arms the timer for the absolute instant `nanoseconds` on its clock (`timerfd_settime` with
    /// TFD_TIMER_ABSTIME); an instant in the past fires at once. `cancelOnSet` (realtime clock
    /// only): a step of the clock ends the wait (`read` says `.clockChanged`).
    public func arm(atNanoseconds nanoseconds: Int64, cancelOnSet: Bool = false) throws(SystemCallError) {
        var spec = itimerspec()
        let due = max(0, nanoseconds)
        spec.it_value.tv_sec = Int(due / 1_000_000_000)
        // A zero it_value would disarm: the epoch itself is armed 1 ns later.
        spec.it_value.tv_nsec = max(1, Int(due % 1_000_000_000))
        try set(spec, flags: Int32(TFD_TIMER_ABSTIME) | (cancelOnSet ? Int32(TFD_TIMER_CANCEL_ON_SET) : 0))
    }

    /// Disarms the timer (`timerfd_settime` with a zero value).
    public func disarm() throws(SystemCallError) {
        try set(itimerspec(), flags: 0)
    }

    private func set(_ spec: itimerspec, flags: Int32) throws(SystemCallError) {
        var spec = spec
        _ = try retryingInterrupts("timerfd_settime") { timerfd_settime(descriptor.rawValue, flags, &spec, nil) }
    }

    /// Takes the expiry count (`read`): blocks until due unless the timer is non-blocking.
    public func read() throws(SystemCallError) -> Expiry {
        var expirations: UInt64 = 0
        do {
            _ = try retryingInterrupts("read(timerfd)") { Glibc.read(descriptor.rawValue, &expirations, 8) }
        } catch  where error.errno == .canceled {
            return .clockChanged
        } catch  where error.errno == .wouldBlock {
            return .notYet
        }
        return .expired(expirations)
    }

    /// Closes the timer.
    public func close() { descriptor.closeQuietly() }
}
