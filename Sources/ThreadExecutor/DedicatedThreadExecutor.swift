import Synchronization
import SystemIO
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A serial executor that runs all its work on one dedicated, named OS thread.
///
/// The one thread idiom for whatever blocks or owns a C handle (a player, the timer, a watcher, the
/// speech library): an actor pinned to it (`nonisolated var unownedExecutor`) runs all its code on
/// this thread, never on Swift's cooperative pool, and code on the thread reaches the actor with
/// `assumeIsolated`. Beside the actor's jobs it runs closures (`execute`), closures due at an
/// instant (`schedule(at:)`; one CLOCK_BOOTTIME timerfd armed for the earliest), async sleeps
/// (`sleep(until:)`) and handlers of readable file descriptors (`watch`), all in one `poll`. With
/// nothing to do the thread blocks in `poll` without a timeout, so an idle executor never wakes.
///
/// The thread starts with the first work, carries `name` (15 bytes at most, as `ps`, `top` and
/// /proc/PID/task/TID/comm show it) and ends at `shutdown()`.
public final class DedicatedThreadExecutor: SerialExecutor, TaskExecutor, Sendable {
    /// The thread's name.
    public let name: String
    private let stackSize: Int?
    private let state = Mutex(State())
    /// Signalled when work arrives for a sleeping thread, or by `unpark()`.
    private let wake: EventFD
    /// Armed (absolute, CLOCK_BOOTTIME) for the earliest scheduled deadline.
    private let timer: TimerFD

    private enum Work: Sendable {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    private enum TimerAction: Sendable {
        case work(@Sendable () -> Void)
        case sleeper(CheckedContinuation<Void, any Error>)
    }

    private struct Timer: Sendable {
        var due: Int64
        var id: Int
        var action: TimerAction
    }

    private struct Watch: Sendable {
        var id: Int
        var descriptor: FileDescriptor
        var handler: @Sendable () -> Void
    }

    private struct State: Sendable {
        var work: [Work] = []
        /// Sorted by `due`, then by id (first scheduled, first run).
        var timers: [Timer] = []
        var watches: [Int: Watch] = [:]
        var watchesChanged = false
        var nextID = 0
        /// Sleeps cancelled before they were registered.
        var cancelledEarly: Set<Int> = []
        /// The thread exists (started and not yet ended).
        var running = false
        /// The running thread, for `isCurrent`.
        var current: pthread_t?
        /// The handle `shutdown()` joins; taken by the one caller that joins.
        var joinable: pthread_t?
        var stopping = false
        /// The thread sleeps (or is about to) in `poll`: new work must write the wake fd.
        var sleeping = false
        /// What the timerfd is armed for (0: disarmed).
        var armed: Int64 = 0
        /// The kernel refused to arm the timerfd: the thread waits for the earliest deadline with a
        /// poll timeout instead.
        var armFailed = false
    }

    /// Creates the executor; its thread starts with the first work. `stackSize` in bytes (nil: the
    /// system's default, as for any thread; only what is used counts in memory).
    public init(name: String, stackSize: Int? = nil) {
        self.name = name
        self.stackSize = stackSize
        do {
            wake = try EventFD(nonBlocking: true)
            timer = try TimerFD(clock: .boottime, nonBlocking: true)
        } catch {
            // Only when the process is out of descriptors or kernel memory.
            preconditionFailure("\(name): \(error)")
        }
    }

    deinit {
        // The thread holds the executor while it runs, so it has ended here.
        wake.close()
        timer.close()
    }

    // MARK: Executor

    public func enqueue(_ job: consuming ExecutorJob) {
        add(.job(UnownedJob(job)))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets `assumeIsolated` succeed in work this executor runs outside an actor job (`execute`,
    /// `schedule`, `watch`).
    public func checkIsolated() {
        precondition(isCurrent, "expected to run on the \(name) thread")
    }

    /// Whether the caller runs on this executor's thread.
    public var isCurrent: Bool {
        state.withLock { state in state.current.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    // MARK: Work

    /// Runs `work` on the thread, in turn with the actors' jobs (first come, first run).
    public func execute(_ work: @escaping @Sendable () -> Void) {
        add(.closure(work))
    }

    /// A closure scheduled with `schedule(at:)`, for `cancel(_:)`.
    public struct ScheduledWork: Sendable, Hashable {
        fileprivate let id: Int
    }

    /// Runs `work` on the thread at `deadline` (at once when it has passed), after the work queued by
    /// then. Costs no wake-up before it is due.
    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () -> Void)
        -> ScheduledWork
    {
        let due = Self.bootNanoseconds(at: deadline)
        let (id, wake) = state.withLock { state in
            state.nextID += 1
            insert(Timer(due: due, id: state.nextID, action: .work(work)), into: &state)
            startIfNeeded(&state)
            return (state.nextID, state.armFailed && takeSleeping(&state))
        }
        if wake { unpark() }  // (only while the timerfd cannot be armed: the poll timeout is redone)
        return ScheduledWork(id: id)
    }

    /// Runs `work` on the thread after `delay`.
    @discardableResult
    public func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) -> ScheduledWork {
        schedule(at: .now + delay, work)
    }

    /// Forgets scheduled work that has not run; true when it was still waiting.
    @discardableResult
    public func cancel(_ scheduled: ScheduledWork) -> Bool {
        state.withLock { state in removeTimer(scheduled.id, from: &state) != nil }
    }

    /// Sleeps until `deadline` on this executor's timer (no thread of its own, no wake-up before it
    /// is due). Throws `CancellationError` when the task is cancelled or the executor shuts down.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let due = Self.bootNanoseconds(at: deadline)
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (cancelled, wake) = state.withLock { state in
                    if state.cancelledEarly.remove(id) != nil { return (true, false) }
                    insert(Timer(due: due, id: id, action: .sleeper(continuation)), into: &state)
                    startIfNeeded(&state)
                    return (false, state.armFailed && takeSleeping(&state))
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
                if wake { unpark() }
            }
        } onCancel: {
            let removed = state.withLock { state in
                let removed = removeTimer(id, from: &state)
                if removed == nil { state.cancelledEarly.insert(id) }
                return removed
            }
            if case .sleeper(let continuation) = removed { continuation.resume(throwing: CancellationError()) }
        }
        // A sleep that ended normally leaves no mark behind.
        state.withLock { _ = $0.cancelledEarly.remove(id) }
    }

    /// A file descriptor watched with `watch(_:_:)`, for `unwatch(_:)`.
    public struct FileWatch: Sendable, Hashable {
        fileprivate let id: Int
    }

    /// Calls `handler` on the thread whenever `descriptor` is readable (or has hung up or failed), until
    /// `unwatch`. The handler must read what is there (or unwatch): the watch is level-triggered.
    /// The caller keeps owning `descriptor` and closes it after `unwatch`.
    public func watch(_ descriptor: FileDescriptor, _ handler: @escaping @Sendable () -> Void) -> FileWatch {
        let (id, wake) = state.withLock { state in
            state.nextID += 1
            state.watches[state.nextID] = Watch(id: state.nextID, descriptor: descriptor, handler: handler)
            state.watchesChanged = true
            startIfNeeded(&state)
            return (state.nextID, takeSleeping(&state))
        }
        if wake { unpark() }
        return FileWatch(id: id)
    }

    /// Stops watching; the handler is not called after this returns when called on the thread
    /// (from another thread, a call already under way may still finish).
    public func unwatch(_ watch: FileWatch) {
        let wake = state.withLock { state in
            guard state.watches.removeValue(forKey: watch.id) != nil else { return false }
            state.watchesChanged = true
            return takeSleeping(&state)
        }
        if wake { unpark() }
    }

    /// Inside work running on the thread: blocks until `deadline`, `unpark()` or new work, whichever
    /// comes first, without running anything. For a job that must wait within itself (a player
    /// pacing a fast device); callers check again why they wait.
    public func park(until deadline: ContinuousClock.Instant) {
        precondition(isCurrent, "park(until:) outside the \(name) thread")
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return }
        let (seconds, attoseconds) = left.components
        // Whole milliseconds, rounded up: a park never ends before its deadline.
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        state.withLock { $0.sleeping = true }
        let ready = try? Poll.wait([(wake.descriptor, .readable)], timeoutMilliseconds: Int32(clamping: milliseconds))
        if ready != [[]] { _ = try? wake.drain() }
        state.withLock { $0.sleeping = false }
    }

    /// Ends a `park` now, or the next one at once when none is under way. Callable from any thread.
    public func unpark() {
        try? wake.signal()  // EAGAIN only when already signalled
    }

    /// Runs the work queued so far, then ends the thread; waits for it when `waiting` (never when
    /// called on it). Scheduled closures are dropped, sleeps throw `CancellationError`, watches end.
    /// Work that arrives later starts the thread again.
    public func shutdown(waiting: Bool = true) {
        let onThread = isCurrent
        let thread = state.withLock { state -> pthread_t? in
            guard state.running else { return nil }
            state.stopping = true
            defer { state.joinable = nil }
            return state.joinable
        }
        unpark()
        guard let thread else { return }
        if onThread || !waiting {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    /// Runs `body` on a new thread named `name` that ends after it: for a loop that blocks in a
    /// library's own wait (a bus, a broker, a main loop), or one blocking exchange that may run
    /// beside others of its kind (a whole utterance from a speech server).
    public static func spawn(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        let executor = DedicatedThreadExecutor(name: name, stackSize: stackSize)
        executor.execute {
            body()
            executor.shutdown()
        }
    }

    // MARK: The thread

    private func add(_ work: Work) {
        let wake = state.withLock { state in
            state.work.append(work)
            startIfNeeded(&state)
            return takeSleeping(&state)
        }
        if wake { unpark() }
    }

    /// Starts the thread when it is not running. Called with the lock held: the new thread waits
    /// for it before it looks at the work.
    private func startIfNeeded(_ state: inout State) {
        if state.running { return }
        state.running = true
        state.stopping = false
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, &attributes,
            { context in
                let executor = Unmanaged<DedicatedThreadExecutor>.fromOpaque(context!).takeRetainedValue()
                executor.run()
                return nil
            }, context)
        precondition(status == 0, "\(name): pthread_create: \(String(cString: strerror(status)))")
        state.joinable = thread
    }

    /// Whether the thread sleeps and must be woken (once: the flag is cleared).
    private func takeSleeping(_ state: inout State) -> Bool {
        defer { state.sleeping = false }
        return state.sleeping
    }

    private enum Step {
        case run([Work])
        case fire([Timer])
        case sleep([Watch]?, timeout: Int32?)
        case exit([Timer])
    }

    private func run() {
        CurrentThread.setName(name)
        let serialExecutor = asUnownedSerialExecutor()
        let taskExecutor = asUnownedTaskExecutor()
        state.withLock { $0.current = pthread_self() }
        var watches: [Watch] = []
        while true {
            let step = state.withLock { state -> Step in
                state.sleeping = false
                if !state.work.isEmpty {
                    defer { state.work = [] }
                    return .run(state.work)
                }
                let now = Self.bootNanoseconds()
                let dueCount = state.timers.firstIndex { $0.due > now } ?? state.timers.endIndex
                if dueCount > 0 {
                    let due = Array(state.timers[..<dueCount])
                    state.timers.removeFirst(dueCount)
                    arm(&state)
                    return .fire(due)
                }
                if state.stopping {
                    let timers = state.timers
                    state.timers = []
                    state.watches = [:]
                    state.watchesChanged = false
                    arm(&state)
                    state.running = false
                    state.stopping = false
                    state.current = nil
                    return .exit(timers)
                }
                state.sleeping = true
                // Normally no timeout: the timerfd wakes the thread when the earliest deadline is due.
                let timeout = state.armFailed ? state.timers.first.map { Self.milliseconds(until: $0.due) } : nil
                guard state.watchesChanged else { return .sleep(nil, timeout: timeout) }
                state.watchesChanged = false
                return .sleep(state.watches.sorted { $0.key < $1.key }.map(\.value), timeout: timeout)
            }
            switch step {
            case .run(let work):
                for item in work {
                    switch item {
                    case .job(let job):
                        job.runSynchronously(isolatedTo: serialExecutor, taskExecutor: taskExecutor)
                    case .closure(let body):
                        body()
                    }
                }
            case .fire(let timers):
                for timer in timers {
                    switch timer.action {
                    case .work(let body): body()
                    case .sleeper(let continuation): continuation.resume()
                    }
                }
            case .exit(let timers):
                for case .sleeper(let continuation) in timers.map(\.action) {
                    continuation.resume(throwing: CancellationError())
                }
                return
            case .sleep(let changed, let timeout):
                if let changed { watches = changed }
                wait(watches: watches, timeout: timeout)
            }
        }
    }

    /// Blocks in `poll` until work arrives, the timer fires or a watched descriptor is ready; then
    /// calls the handlers of the ready ones.
    private func wait(watches: [Watch], timeout: Int32?) {
        let descriptors =
            [(wake.descriptor, PollEvents.readable), (timer.descriptor, .readable)]
            + watches.map { ($0.descriptor, PollEvents.readable) }
        // A failed poll (out of kernel memory): the loop looks again.
        guard let ready = try? Poll.wait(descriptors, timeoutMilliseconds: timeout ?? -1) else { return }
        if ready[0] != [] { _ = try? wake.drain() }
        if ready[1] != [] { _ = try? timer.read() }
        for (index, watch) in watches.enumerated() where ready[index + 2] != [] {
            // Unwatched meanwhile (by a handler just called): not called any more.
            if state.withLock({ $0.watches[watch.id] != nil }) { watch.handler() }
        }
    }

    private func insert(_ timer: Timer, into state: inout State) {
        let index = state.timers.firstIndex { $0.due > timer.due } ?? state.timers.endIndex
        state.timers.insert(timer, at: index)
        if index == 0 { arm(&state) }
    }

    private func removeTimer(_ id: Int, from state: inout State) -> TimerAction? {
        guard let index = state.timers.firstIndex(where: { $0.id == id }) else { return nil }
        let timer = state.timers.remove(at: index)
        if index == 0 { arm(&state) }
        return timer.action
    }

    /// Arms the timerfd for the earliest deadline (disarms it when there is none). timerfd_settime
    /// is thread-safe: a new earliest deadline re-arms it from the scheduling thread, without a
    /// wake-up of this one.
    private func arm(_ state: inout State) {
        let due = state.timers.first?.due ?? 0
        guard due != state.armed else { return }
        state.armed = due
        do {
            if due > 0 { try timer.arm(atNanoseconds: due) } else { try timer.disarm() }
            state.armFailed = false
        } catch {
            // (Never seen: the values are in range.) Nothing is lost: the thread times its poll.
            state.armFailed = due > 0
            state.armed = 0
        }
    }

    /// Now on CLOCK_BOOTTIME (the clock of `ContinuousClock` on Linux), in nanoseconds.
    static func bootNanoseconds() -> Int64 { KernelClock.boottime.nanoseconds }

    /// Whole milliseconds from now until `due` (CLOCK_BOOTTIME nanoseconds), rounded up.
    static func milliseconds(until due: Int64) -> Int32 {
        Int32(clamping: max(0, due - bootNanoseconds() + 999_999) / 1_000_000)
    }

    /// `deadline` on CLOCK_BOOTTIME, in nanoseconds (at least 1: 0 would disarm the timer).
    static func bootNanoseconds(at deadline: ContinuousClock.Instant) -> Int64 {
        let left = max(.zero, ContinuousClock.now.duration(to: deadline))
        return max(
            1, bootNanoseconds() + left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
        )
    }
}
