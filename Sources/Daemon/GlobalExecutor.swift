import CLinux
import Foundation
import SystemIO

/// The daemon's global concurrent executor: a fixed pool of threads (one per core, at least two)
/// taking jobs from one queue.
///
/// Swift's default on Linux hands global jobs to libdispatch, whose worker pool, once its first
/// worker starts, keeps a 1-second monitor timer running for the life of the process (measured:
/// 60 wake-ups a minute in an otherwise idle daemon). With this pool nothing wakes while nothing is
/// due. Installed through the runtime's `swift_task_enqueueGlobal_hook` at the start of `main`,
/// before any other task exists. Delayed jobs (`Task.sleep`) still go through libdispatch; the
/// daemon's own sleeps use timerfd clocks instead.
public final class GlobalExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `head` are guarded by `condition`.
    static let shared = GlobalExecutor(threads: min(8, max(2, ProcessInfo.processInfo.activeProcessorCount)))

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    private init(threads: Int) {
        for _ in 0..<threads {
            let thread = Thread { [self] in
                CurrentThread.setName("routines-pool")
                work()
            }
            thread.start()
        }
    }

    /// Makes this pool the global executor. Call first thing in `main`. `ROUTINES_DISPATCH_EXECUTOR=1`
    /// keeps Swift's default (libdispatch), for comparisons.
    public static func install() {
        if ProcessInfo.processInfo.environment["ROUTINES_DISPATCH_EXECUTOR"] == "1" { return }
        _ = shared
        routines_install_global_hook(unsafeBitCast(hook, to: UnsafeMutableRawPointer.self))
    }

    /// The runtime calls this (its hook passes the job and the original implementation, unused).
    private static let hook: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { job, _ in
        guard let job else { return }
        shared.enqueue(unsafeBitCast(job, to: UnownedJob.self))
    }

    public func enqueue(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func next() -> UnownedJob {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count { condition.wait() }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    private func work() {
        while true {
            next().runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
