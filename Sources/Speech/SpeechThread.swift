import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated OS thread.
///
/// libespeak-ng keeps global state and blocks while it synthesizes, so the actor that owns it runs
/// here: its calls are serialized, always on the same thread, and never occupy a thread of Swift's
/// cooperative pool.
final class SpeechThread: SerialExecutor {
    /// Jobs waiting for the thread, oldest first.
    private let pending = Mutex<[Work]>([])

    /// A job of the actor, or work submitted as a closure.
    private enum Work: @unchecked Sendable {
        // @unchecked: an `UnownedJob` is handed over once, from the enqueuer to the thread.
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }
    /// Counts pending jobs; the thread sleeps on it while there is nothing to do.
    private let wakeups = DispatchSemaphore(value: 0)
    /// The thread's id, once it runs.
    private let threadID = Mutex<pthread_t?>(nil)

    /// Starts the thread. It lives as long as the process: the library it serves is process-global.
    init(name: String) {
        let thread = Thread { [self] in runLoop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pending.withLock { $0.append(.job(job)) }
        wakeups.signal()
    }

    /// Runs `work` on the thread, in turn with the actor's jobs (for work that must not be awaited,
    /// such as a synthesis whose chunks are played while it runs).
    func submit(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(.closure(work)) }
        wakeups.signal()
    }

    /// Lets `assumeIsolated` succeed in work submitted to this thread.
    func checkIsolated() {
        precondition(isCurrent, "expected to run on the speech thread")
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func isSameExclusiveExecutionContext(other: SpeechThread) -> Bool {
        self === other
    }

    /// Whether the caller is this executor's thread.
    var isCurrent: Bool {
        threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    private func runLoop() {
        threadID.withLock { $0 = pthread_self() }
        while true {
            wakeups.wait()
            let work = pending.withLock { jobs in jobs.isEmpty ? nil : jobs.removeFirst() }
            switch work {
            case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
            case .closure(let body): body()
            case nil: break
            }
        }
    }
}
