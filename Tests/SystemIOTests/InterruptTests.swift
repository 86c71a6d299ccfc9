import Foundation
import Synchronization
import Testing

@testable import SystemIO

private let handled = Atomic<Int>(0)

/// EINTR: a call a signal interrupts is made again, for the time that is left.
@Suite(.serialized) struct InterruptTests {
    /// The retry itself, deterministically: a call failing twice with EINTR, then succeeding.
    @Test func aCallInterruptedTwiceIsMadeThreeTimes() throws {
        var calls = 0
        let result = try retryingInterrupts("read", path: "/x") { () -> Int in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 42
        }
        #expect(result == 42)
        #expect(calls == 3)
        let error = #expect(throws: SystemCallError.self) {
            try retryingInterrupts("read", path: "/x") { () -> Int in
                errno = EBADF
                return -1
            }
        }
        #expect(error?.description == "read /x: Bad file descriptor")
    }

    /// A real signal (a handler installed without SA_RESTART, so poll fails with EINTR) sent again
    /// and again to a thread blocked in `Poll.wait`: the wait goes on until the event arrives.
    @Test func aSignalDoesNotEndABlockingWait() async throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in handled.add(1, ordering: .relaxed) }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        #expect(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }

        let counter = try EventFD()
        defer { counter.close() }
        let thread = Mutex<pthread_t?>(nil)
        let waiting = Task {
            try await onThread { () -> [PollEvents] in
                // The thread may inherit a mask that blocks the signal: let it through here.
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SIGUSR2)
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                thread.withLock { $0 = pthread_self() }
                return try Poll.wait([(counter.descriptor, .readable)], timeoutMilliseconds: 10_000)
            }
        }
        while thread.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
        let target = thread.withLock { $0 }!
        let before = handled.load(ordering: .relaxed)
        for _ in 0..<20 {
            pthread_kill(target, SIGUSR2)
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(handled.load(ordering: .relaxed) - before >= 1)
        try counter.signal()
        #expect(try await waiting.value == [.readable])
    }
}
