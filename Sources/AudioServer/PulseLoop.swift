import CPulse
import FoundationEssentials
import SystemIO
import ThreadExecutor

/// One thread that owns a libpulse `pa_mainloop` and drives it itself (prepare → poll → dispatch),
/// so it sleeps in `poll` until the server sends something, work is handed over, or one of its own
/// timers is due: no periodic wake-ups. Every libpulse object of the daemon is created and touched
/// on this thread only; other threads hand work over with `perform`. libpulse itself is opened on the
/// first `pa_` call (CPulse's shim), so a daemon without sink outputs never maps it.
final class PulseLoop: @unchecked Sendable {
    // @unchecked: `pending` and `stopped` are guarded by `lock`; everything else is loop-thread only.
    private let mainloop: OpaquePointer
    /// The main loop's vtable (for `pa_context_new` and io events).
    let api: UnsafeMutablePointer<pa_mainloop_api>
    private let lock = ThreadCondition()
    private var pending: [@Sendable () -> Void] = []
    private var stopped = false
    private var finished = false
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []
    private var timers: [Int: (deadline: ContinuousClock.Instant, action: () -> Void)] = [:]
    private var nextTimer = 1
    private let name: String
    /// Work handed over makes this eventfd readable until the loop reads it. (`pa_mainloop_wakeup`
    /// would not do: `pa_mainloop_prepare` drains its pipe, so a wake-up between taking the work and
    /// preparing the poll would be lost and the loop would sleep with work pending.)
    private let wakeCounter: EventFD?
    private var wakeEvent: OpaquePointer?

    init(name: String) {
        self.name = name
        mainloop = pa_mainloop_new()
        api = pa_mainloop_get_api(mainloop)
        wakeCounter = try? EventFD(nonBlocking: true)
        wakeEvent = api.pointee.io_new(
            api, wakeCounter?.descriptor.rawValue ?? -1, PA_IO_EVENT_INPUT,
            { _, _, fd, _, _ in
                _ = try? EventFD.drain(FileDescriptor(rawValue: fd))
            }, nil)
    }

    deinit {
        if let wakeEvent { api.pointee.io_free(wakeEvent) }
        pa_mainloop_free(mainloop)
        wakeCounter?.close()
    }

    private func wake() {
        try? wakeCounter?.signal()
    }

    /// Starts the loop thread: the loop is its one job (it blocks in poll); the thread ends with it.
    func start() {
        DedicatedThreadExecutor.spawn(name: name) { [self] in run() }
    }

    /// Runs `work` on the loop thread (in order of submission); false (and `work` never runs) once
    /// the loop was stopped.
    @discardableResult
    func perform(_ work: @escaping @Sendable () -> Void) -> Bool {
        lock.lock()
        let accepted = !stopped
        if accepted { pending.append(work) }
        lock.unlock()
        if accepted { wake() }
        return accepted
    }

    /// Ends the loop after the work handed over so far (the thread exits).
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        wake()
    }

    /// Returns once the loop thread has ended (after `stop`): nothing of libpulse runs any more.
    func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = lock.withLock {
                if !finished { finishWaiters.append(continuation) }
                return finished
            }
            if done { continuation.resume() }
        }
    }

    /// Loop thread: runs `action` after `delay`; returns an id for `cancelTimer`.
    @discardableResult
    func after(_ delay: Duration, _ action: @escaping () -> Void) -> Int {
        let id = nextTimer
        nextTimer += 1
        timers[id] = (ContinuousClock.now + delay, action)
        return id
    }

    /// Loop thread: forgets a timer.
    func cancelTimer(_ id: Int?) {
        if let id { timers[id] = nil }
    }

    private func run() {
        defer {
            let waiters = lock.withLock {
                finished = true
                defer { finishWaiters = [] }
                return finishWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
        while true {
            lock.lock()
            let work = pending
            pending = []
            let done = stopped
            lock.unlock()
            for item in work { item() }
            if done { return }
            let now = ContinuousClock.now
            for (id, timer) in timers.sorted(by: { $0.value.deadline < $1.value.deadline }) where timer.deadline <= now
            {
                timers[id] = nil
                timer.action()
            }
            // Sleep in poll until an fd is ready (server, wake-up pipe, inotify) or the next timer.
            var timeout: Int32 = -1
            if let next = timers.values.map(\.deadline).min() {
                let micros = max(0, ContinuousClock.now.duration(to: next).microseconds) + 1
                timeout = Int32(clamping: micros)
            }
            guard pa_mainloop_prepare(mainloop, timeout) >= 0, pa_mainloop_poll(mainloop) >= 0,
                pa_mainloop_dispatch(mainloop) >= 0
            else { return }
        }
    }
}

extension Duration {
    /// Whole microseconds.
    var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
