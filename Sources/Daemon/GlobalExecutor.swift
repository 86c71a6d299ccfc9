import CLinux
import FoundationEssentials
import NIOCore
import NIOPosix
import Synchronization
import SystemIO
import ThreadExecutor

/// The daemon's global concurrent executor, installed first thing in `main` through the runtime's
/// `swift_task_enqueueGlobal_hook`, before any other task exists.
///
/// Swift's default on Linux hands global jobs to libdispatch, whose worker pool, once its first
/// worker starts, keeps a 1-second monitor timer running for the life of the process (measured:
/// 60 wake-ups a minute in an otherwise idle daemon). The daemon runs global jobs on SwiftNIO's
/// event loops instead (the takeover SwiftNIO ships): a job enqueued from an event loop stays on it,
/// so a request, the engine call and the reply run on the thread that reads and writes the socket,
/// and nothing wakes while nothing is due. `ROUTINES_EXECUTOR=pool` runs them on this class's own
/// pool of threads instead (the daemon's executor before; measured against the takeover in
/// docs/BENCHMARKS.md), `ROUTINES_EXECUTOR=dispatch` keeps Swift's default. Delayed jobs
/// (`Task.sleep`) still go through libdispatch; the daemon's own sleeps use timerfd clocks.
public final class GlobalExecutor: TaskExecutor, Sendable {
    static let shared = GlobalExecutor(threads: min(8, max(2, ProcessInfo.processInfo.activeProcessorCount)))

    /// The jobs not yet taken, in order; `head` is the next one.
    private let queue = Mutex((jobs: [UnownedJob](), head: 0))
    /// Where idle pool threads wait; `enqueue` wakes one. Its lock orders "the queue is empty, so wait"
    /// against "a job was added, so wake one", so no wake-up is lost.
    private let ready = ThreadCondition()

    /// Starts `threads` threads (`routines-pool`, each from `DedicatedThreadExecutor.spawn`) that
    /// take jobs from the one queue for good. One queue, not a `DedicatedThreadExecutor` per thread
    /// (each would run its own jobs in order): a job never waits behind a busy thread while another
    /// is idle.
    private init(threads: Int) {
        for _ in 0..<threads {
            DedicatedThreadExecutor.spawn(name: "routines-pool") { [self] in work() }
        }
    }

    /// Which executor runs global jobs: `nio` (SwiftNIO's event loops), `pool` (this class) or
    /// `dispatch` (Swift's default, libdispatch).
    public private(set) nonisolated(unsafe) static var kind = "dispatch"

    /// Installs the global executor. Call first thing in `main`, before any task exists. Only with
    /// the compiler versions the hook's declaration was checked with; otherwise Swift's default stays.
    public static func install() {
        #if compiler(>=6.3) && compiler(<6.4)
            switch ProcessInfo.processInfo.environment["ROUTINES_EXECUTOR"] {
            case "dispatch":
                return
            case "pool":
                _ = shared
                kind = "pool"
                routines_install_global_hook(unsafeBitCast(poolHook, to: UnsafeMutableRawPointer.self))
            default:
                kind = "nio"
                if NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() { return }
                // SwiftNIO finds the hook with dlsym, and a statically linked daemon exports no such
                // symbol: the same forwarding is installed directly.
                routines_install_global_hook(unsafeBitCast(nioHook, to: UnsafeMutableRawPointer.self))
            }
        #endif
    }

    #if compiler(>=6.3) && compiler(<6.4)
        /// The hook's type as the Swift 6.3 runtime declares `swift_task_enqueueGlobal_hook`: the Swift
        /// calling convention without a context (`SWIFT_CC(swift)`), taking the job and the original
        /// implementation (unused).
        private typealias EnqueueGlobal = @convention(thin) (UnownedJob) -> Void
        private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, EnqueueGlobal) -> Void

        private static let poolHook: EnqueueGlobalHook = { job, _ in shared.enqueue(job) }

        /// What SwiftNIO's takeover installs: the job runs on an event loop of the singleton group, the
        /// current thread's own loop when it is one (no thread switch). (Sending the jobs of other
        /// threads to one loop instead of the next in turn was measured: fewer thread switches, but the
        /// end of one run and the next request then wait for each other on that loop; fewer triggers
        /// per second under load, docs/BENCHMARKS.md.)
        private static let nioHook: EnqueueGlobalHook = { job, _ in
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(ExecutorJob(job))
        }
    #endif

    /// The event loop the control server's listeners and all their connections live on: a new
    /// connection is accepted, set up and served on one thread, without the hand-offs between loops
    /// that a listener on one loop and its connections on another cost (docs/BENCHMARKS.md).
    public static let homeLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()

    public func enqueue(_ job: UnownedJob) {
        queue.withLock { $0.jobs.append(job) }
        ready.lock()
        ready.signal()
        ready.unlock()
    }

    /// The next job, or nil when the queue is empty.
    private func take() -> UnownedJob? {
        queue.withLock { queue in
            guard queue.head < queue.jobs.count else { return nil }
            let job = queue.jobs[queue.head]
            queue.head += 1
            if queue.head == queue.jobs.count {
                queue.jobs.removeAll(keepingCapacity: true)
                queue.head = 0
            }
            return job
        }
    }

    /// Waits for the next job (with `ready`'s lock, released while waiting).
    private func next() -> UnownedJob {
        ready.lock()
        defer { ready.unlock() }
        while true {
            if let job = take() { return job }
            ready.wait()
        }
    }

    private func work() {
        while true {
            next().runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
