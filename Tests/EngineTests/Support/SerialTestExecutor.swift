import Foundation

/// One thread that runs the engine's jobs (and the fakes'), so tests can tell when all work is done:
/// with the engine, its tasks and the fakes on this executor, "idle" means nothing is runnable until a
/// clock advances.
///
/// `@unchecked Sendable`: the queue and counters are only touched under `condition`'s lock.
final class SerialTestExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var running = false
    private var executed = 0

    init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "engine-test-executor"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Whether nothing runs or waits to run, and how many jobs ran so far.
    var snapshot: (idle: Bool, executed: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (queue.isEmpty && !running, executed)
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let job = queue.removeFirst()
            running = true
            condition.unlock()
            job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            condition.lock()
            running = false
            executed += 1
            condition.unlock()
        }
    }
}
