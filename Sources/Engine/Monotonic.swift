/// The monotonic clock as elapsed time since the engine was made.
///
/// Wraps an injected `Clock` (a `ContinuousClock` in the daemon, a test clock in tests) so the rest of
/// the engine deals in plain `Duration` instants and never in existential instants.
struct MonotonicTimeline: Sendable {
    private let nowFn: @Sendable () -> Duration
    private let sleepFn: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Swift.Duration {
        let origin = clock.now
        nowFn = { origin.duration(to: clock.now) }
        sleepFn = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }

    /// Elapsed time since the timeline's origin.
    var now: Duration { nowFn() }

    /// Sleeps until the timeline reaches `deadline`; throws `CancellationError` when cancelled.
    func sleep(until deadline: Duration) async throws { try await sleepFn(deadline) }

    /// Sleeps for `duration`; a zero or negative one only checks for cancellation (no timer is armed).
    func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await sleepFn(now + duration)
    }
}

extension Duration {
    /// Seconds as a floating-point number.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
