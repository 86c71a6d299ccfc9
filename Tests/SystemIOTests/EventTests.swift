import Foundation
import SystemIO
import Testing

/// eventfd, timerfd, inotify and poll: real kernel objects.
@Suite struct EventTests {
    @Test func anEventCounterCountsAndWakesAPoll() async throws {
        let counter = try EventFD()
        defer { counter.close() }
        let idle = try Poll.wait([(counter.descriptor, .readable)], timeoutMilliseconds: 0)
        #expect(idle == [[]])
        try counter.signal()
        try counter.signal()
        #expect(try Poll.wait([(counter.descriptor, .readable)], timeoutMilliseconds: 0) == [.readable])
        #expect(try counter.drain() == 2)

        // A thread blocked in poll without a time limit wakes when another thread signals.
        let waiting = Task {
            try await onThread { try Poll.wait([(counter.descriptor, .readable)]) }
        }
        try await Task.sleep(for: .milliseconds(20))
        try counter.signal()
        #expect(try await waiting.value == [.readable])

        let nonBlocking = try EventFD(nonBlocking: true)
        defer { nonBlocking.close() }
        #expect(try nonBlocking.drain() == 0)
    }

    @Test func aPollTimesOutAfterItsTimeLimit() throws {
        let counter = try EventFD()
        defer { counter.close() }
        let start = ContinuousClock.now
        let ready = try Poll.wait([(counter.descriptor, .readable)], timeoutMilliseconds: 50)
        #expect(ready == [[]])
        #expect(start.duration(to: .now) >= .milliseconds(49))
    }

    @Test func aTimerFiresAtItsAbsoluteDeadline() throws {
        let timer = try TimerFD(clock: .boottime)
        defer { timer.close() }
        let due = KernelClock.boottime.nanoseconds + 30_000_000
        try timer.arm(atNanoseconds: due)
        #expect(try Poll.wait([(timer.descriptor, .readable)], timeoutMilliseconds: 5000) == [.readable])
        #expect(KernelClock.boottime.nanoseconds >= due)
        #expect(try timer.read() == .expired(1))

        // A deadline in the past fires at once; a disarmed timer never does.
        try timer.arm(atNanoseconds: 0)
        #expect(try Poll.wait([(timer.descriptor, .readable)], timeoutMilliseconds: 1000) == [.readable])
        _ = try timer.read()
        try timer.arm(atNanoseconds: KernelClock.boottime.nanoseconds + 10_000_000)
        try timer.disarm()
        #expect(try Poll.wait([(timer.descriptor, .readable)], timeoutMilliseconds: 40) == [[]])
    }

    @Test func aNonBlockingTimerSaysNotYet() throws {
        let timer = try TimerFD(clock: .realtime, nonBlocking: true)
        defer { timer.close() }
        try timer.arm(atNanoseconds: KernelClock.realtime.nanoseconds + 3_600_000_000_000, cancelOnSet: true)
        #expect(try timer.read() == .notYet)
    }

    @Test func inotifyReportsChangesInAFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let watcher = try Inotify(nonBlocking: true)
        defer { watcher.close() }
        let watch = try watcher.watch(folder.path, for: [.closedAfterWriting, .movedIn, .movedOut, .deleted])
        #expect(try watcher.read() == [])
        try folder.write("a.json", "{}")
        try FileManager.default.moveItem(atPath: folder.path + "/a.json", toPath: folder.path + "/b.json")
        try FileManager.default.removeItem(atPath: folder.path + "/b.json")
        #expect(try Poll.wait([(watcher.descriptor, .readable)], timeoutMilliseconds: 5000) == [.readable])
        let events = try watcher.read()
        #expect(events.allSatisfy { $0.watch == watch })
        let seen = events.map { event -> String in
            let kinds: [(Inotify.Events, String)] = [
                (.closedAfterWriting, "closed"), (.movedOut, "out"), (.movedIn, "in"), (.deleted, "deleted"),
            ]
            return event.name + ":" + kinds.filter { event.events.contains($0.0) }.map(\.1).joined(separator: ",")
        }
        #expect(seen == ["a.json:closed", "a.json:out", "b.json:in", "b.json:deleted"])
    }

    @Test func watchingAMissingFolderNamesIt() throws {
        let watcher = try Inotify()
        defer { watcher.close() }
        let missing = "/nonexistent-\(UUID().uuidString)"
        let error = #expect(throws: SystemCallError.self) { try watcher.watch(missing, for: .created) }
        #expect(error?.description == "inotify_add_watch \(missing): No such file or directory")
    }

    @Test func namesTheCallingThread() async throws {
        let name = try await onThread { () -> String in
            CurrentThread.setName("systemio-test")
            return (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        }
        #expect(name == "systemio-test\n")
    }
}

/// ThreadCondition: one thread blocks until another hands a value over.
@Suite struct ThreadConditionTests {
    final class Box: @unchecked Sendable {
        // @unchecked: `values` is guarded by `condition`.
        let condition = ThreadCondition()
        var values: [Int] = []
    }

    @Test func aWaitingThreadGetsWhatAnotherHandsOver() async throws {
        let box = Box()
        let taken = Task {
            try await onThread { () -> [Int] in
                var taken: [Int] = []
                box.condition.lock()
                while taken.count < 3 {
                    while box.values.isEmpty { box.condition.wait() }
                    taken += box.values
                    box.values = []
                }
                box.condition.unlock()
                return taken
            }
        }
        for value in 1...3 {
            try await Task.sleep(for: .milliseconds(5))
            box.condition.lock()
            box.values.append(value)
            box.condition.broadcast()
            box.condition.unlock()
        }
        #expect(try await taken.value == [1, 2, 3])
    }

    /// `signal` wakes a waiting thread as `broadcast` does; `withLock` holds the lock around its body
    /// (two threads adding 10,000 each under it lose no update).
    @Test func signalWakesAWaiterAndWithLockExcludes() async throws {
        let box = Box()
        let waiter = Task {
            try await onThread { () -> Int in
                box.condition.withLock {
                    while box.values.isEmpty { box.condition.wait() }
                    return box.values[0]
                }
            }
        }
        try await Task.sleep(for: .milliseconds(5))
        box.condition.withLock {
            box.values.append(7)
            box.condition.signal()
        }
        #expect(try await waiter.value == 7)
        let counter = Box()
        counter.values = [0]
        async let first: Void = onThread {
            for _ in 0..<10_000 { counter.condition.withLock { counter.values[0] += 1 } }
        }
        async let second: Void = onThread {
            for _ in 0..<10_000 { counter.condition.withLock { counter.values[0] += 1 } }
        }
        _ = try await (first, second)
        #expect(counter.values == [20_000])
    }
}
