import Foundation
import Synchronization
import SystemPackage
import Testing
import ThreadExecutor

/// The calling thread as the kernel sees it: its id and its name.
private func currentThread() -> (id: Int, name: String) {
    let stat = (try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)) ?? ""
    let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    return (Int(stat.prefix { $0 != " " }) ?? -1, name.trimmingCharacters(in: .newlines))
}

/// A thread of this process: its scheduler state and voluntary context switches, nil once it ended.
private func threadStatus(_ id: Int) -> (state: String, switches: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/self/task/\(id)/status", encoding: .utf8) else { return nil }
    var state = ""
    var switches = -1
    for line in text.split(separator: "\n") {
        let fields = line.split(whereSeparator: \.isWhitespace)
        if line.hasPrefix("State:"), fields.count > 1 { state = String(fields[1]) }
        if line.hasPrefix("voluntary_ctxt_switches:"), fields.count > 1 { switches = Int(fields[1]) ?? -1 }
    }
    return (state, switches)
}

/// Runs `body` on the executor and returns its result.
private func onExecutor<T: Sendable>(_ executor: DedicatedThreadExecutor, _ body: @escaping @Sendable () -> T) async
    -> T
{
    await withCheckedContinuation { continuation in executor.execute { continuation.resume(returning: body()) } }
}

/// An actor whose code runs on a dedicated thread.
private actor PinnedCounter {
    let executor: DedicatedThreadExecutor
    var count = 0
    init(executor: DedicatedThreadExecutor) { self.executor = executor }
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    func increment() -> (count: Int, thread: String, onExecutor: Bool) {
        count += 1
        return (count, currentThread().name, executor.isCurrent)
    }
}

@Suite struct DedicatedThreadExecutorTests {
    @Test func jobsRunInOrderOnOneNamedThread() async {
        let executor = DedicatedThreadExecutor(name: "exec-order")
        defer { executor.shutdown() }
        let seen = Mutex<[(Int, Int, String)]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for index in 0..<200 {
                executor.execute {
                    let thread = currentThread()
                    seen.withLock { $0.append((index, thread.id, thread.name)) }
                    if index == 199 { done.resume() }
                }
            }
        }
        let runs = seen.withLock { $0 }
        #expect(runs.map(\.0) == Array(0..<200))
        #expect(Set(runs.map(\.1)).count == 1)
        #expect(runs.first?.1 != currentThread().id)
        #expect(runs.allSatisfy { $0.2 == "exec-order" })
    }

    @Test func anActorPinnedToItRunsOnItsThread() async {
        let executor = DedicatedThreadExecutor(name: "exec-actor")
        defer { executor.shutdown() }
        let counter = PinnedCounter(executor: executor)
        let results = await withTaskGroup(of: (count: Int, thread: String, onExecutor: Bool).self) { group in
            for _ in 0..<50 { group.addTask { await counter.increment() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.map(\.count).sorted() == Array(1...50))
        #expect(results.allSatisfy { $0.thread == "exec-actor" && $0.onExecutor })
        #expect(!executor.isCurrent)
        // Work handed to the thread as a closure reaches the actor synchronously.
        let count = await onExecutor(executor) { counter.assumeIsolated { $0.count } }
        #expect(count == 50)
    }

    @Test func aTaskPreferringItRunsOnItsThread() async {
        let executor = DedicatedThreadExecutor(name: "exec-task")
        defer { executor.shutdown() }
        let name = await withTaskExecutorPreference(executor) { currentThread().name }
        #expect(name == "exec-task")
    }

    @Test func anIdleThreadBlocksWithoutWakingUp() async throws {
        let executor = DedicatedThreadExecutor(name: "exec-idle")
        defer { executor.shutdown() }
        let thread = await onExecutor(executor) { currentThread().id }
        // A far deadline is armed in the kernel; nothing wakes the thread before it.
        executor.schedule(after: .seconds(3600)) {}
        try await Task.sleep(for: .milliseconds(50))
        let before = try #require(threadStatus(thread))
        try await Task.sleep(for: .milliseconds(400))
        let after = try #require(threadStatus(thread))
        #expect(before.state == "S" && after.state == "S")
        #expect(after.switches == before.switches, "the idle thread woke \(after.switches - before.switches) times")
    }

    @Test func scheduledWorkRunsAtItsDeadlineInOrderUnlessCancelled() async {
        let executor = DedicatedThreadExecutor(name: "exec-timer")
        defer { executor.shutdown() }
        let start = ContinuousClock.now
        let fired = Mutex<[(Int, ContinuousClock.Instant)]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            executor.schedule(at: start + .milliseconds(60)) {
                fired.withLock { $0.append((3, .now)) }
                done.resume()
            }
            executor.schedule(at: start + .milliseconds(20)) { fired.withLock { $0.append((1, .now)) } }
            let cancelled = executor.schedule(at: start + .milliseconds(30)) { fired.withLock { $0.append((9, .now)) } }
            executor.schedule(at: start + .milliseconds(40)) { fired.withLock { $0.append((2, .now)) } }
            #expect(executor.cancel(cancelled))
        }
        let runs = fired.withLock { $0 }
        #expect(runs.map(\.0) == [1, 2, 3])
        for (order, instant) in runs {
            #expect(instant >= start + .milliseconds(order * 20), "work \(order) ran early")
        }
    }

    @Test func aSleepEndsAtItsDeadlineOrAtOnceWhenCancelled() async throws {
        let executor = DedicatedThreadExecutor(name: "exec-sleep")
        defer { executor.shutdown() }
        let start = ContinuousClock.now
        try await executor.sleep(until: start + .milliseconds(30))
        #expect(ContinuousClock.now >= start + .milliseconds(30))

        let sleeper = Task { try await executor.sleep(until: .now + .seconds(3600)) }
        sleeper.cancel()
        let result = await sleeper.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func aParkedJobWakesOnUnpark() async {
        let executor = DedicatedThreadExecutor(name: "exec-park")
        defer { executor.shutdown() }
        let parked = Mutex(false)
        let waited = await withCheckedContinuation { (done: CheckedContinuation<Duration, Never>) in
            executor.execute {
                let start = ContinuousClock.now
                parked.withLock { $0 = true }
                executor.park(until: start + .seconds(60))
                done.resume(returning: start.duration(to: .now))
            }
            while !parked.withLock({ $0 }) { usleep(1000) }
            executor.unpark()
        }
        #expect(waited < .seconds(30))
    }

    @Test func aWatchedDescriptorCallsItsHandlerOnTheThread() async throws {
        let executor = DedicatedThreadExecutor(name: "exec-watch")
        defer { executor.shutdown() }
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let reader = fds[0]
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let watch = executor.watch(FileDescriptor(rawValue: reader)) {
            var byte: UInt8 = 0
            _ = read(reader, &byte, 1)
            continuation.yield("\(Character(UnicodeScalar(byte))) \(currentThread().name)")
        }
        var iterator = lines.makeAsyncIterator()
        for letter in ["a", "b"] {
            _ = write(fds[1], letter, 1)
            #expect(await iterator.next() == "\(letter) exec-watch")
        }
        executor.unwatch(watch)
        _ = write(fds[1], "c", 1)
        // Work queued after the write runs after any handler call it caused: none is expected.
        await onExecutor(executor) { continuation.finish() }
        #expect(await iterator.next() == nil)
    }

    @Test func shutdownRunsQueuedWorkEndsTheThreadAndEndsSleeps() async throws {
        let executor = DedicatedThreadExecutor(name: "exec-stop")
        let thread = await onExecutor(executor) { currentThread().id }
        // The sleep registers on the thread, before the work queued after it runs.
        let sleeper = Task(executorPreference: executor) { try await executor.sleep(until: .now + .seconds(3600)) }
        let ran = Mutex(0)
        for _ in 0..<10 { executor.execute { ran.withLock { $0 += 1 } } }
        executor.shutdown()
        #expect(ran.withLock { $0 } == 10)
        #expect(threadStatus(thread) == nil, "the thread still exists")
        let result = await sleeper.result
        #expect(throws: CancellationError.self) { try result.get() }
        // Later work starts a new thread.
        let again = await onExecutor(executor) { currentThread() }
        #expect(again.name == "exec-stop" && again.id != thread)
        executor.shutdown()
    }
}

@Suite struct DedicatedThreadExecutorStressTests {
    @Test func manyExecutorsStartParkAndShutDown() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<300 {
                        let executor = DedicatedThreadExecutor(name: "exec-stress")
                        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                            executor.execute {
                                executor.park(until: .now + .milliseconds(1))
                                done.resume()
                            }
                        }
                        executor.execute {}
                        executor.shutdown()
                    }
                }
            }
        }
    }
}
