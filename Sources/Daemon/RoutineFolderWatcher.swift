import Foundation
import RoutineModel
import Synchronization
import SystemIO

/// Watches the routines folder with inotify on a thread of its own and reports the names of files
/// that changed (created, written and closed, renamed into or out of, deleted). Editors' atomic saves
/// (write a temporary file, rename it over the routine) arrive as one change of the routine's name;
/// the temporary names themselves are ignored.
public final class RoutineFolderWatcher: Sendable {
    /// File names (not paths) that changed; `nil` means "re-scan everything" (the folder moved or the
    /// event queue overflowed).
    public let changes: AsyncStream<String?>
    private let continuation: AsyncStream<String?>.Continuation
    private let inotify: Inotify
    private let wake: EventFD
    private let state: WatchState
    public let folder: String

    /// Shared with the watcher thread: files to report again, and whether to stop.
    final class WatchState: Sendable {
        struct Values {
            var retries: [String: ContinuousClock.Instant] = [:]
            var stopping = false
        }
        let values = Mutex(Values())
        func withLock<T>(_ body: (inout Values) -> T) -> T { values.withLock { body(&$0) } }
    }

    /// Starts watching `folder`; throws a `SystemCallError` naming the call and the folder when it
    /// cannot.
    public init(folder: String) throws {
        self.folder = folder
        let inotify = try Inotify()
        do {
            try inotify.watch(
                folder,
                for: [.closedAfterWriting, .movedIn, .movedOut, .deleted, .created, .deletedSelf, .movedSelf])
            wake = try EventFD()
        } catch {
            inotify.close()
            throw error
        }
        self.inotify = inotify
        (changes, continuation) = AsyncStream.makeStream(of: String?.self)
        let state = WatchState()
        self.state = state
        let thread = Thread { [inotify, wake, continuation, state] in
            CurrentThread.setName("routines-watch")
            RoutineFolderWatcher.loop(inotify: inotify, wake: wake, state: state, continuation: continuation)
        }
        thread.name = "routines-inotify"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops the watcher thread; the stream finishes.
    public func stop() {
        state.withLock { $0.stopping = true }
        try? wake.signal()
    }

    /// Reports `fileName` again after `delay` (a file that could not be read: inotify will not say
    /// anything more about it until it changes).
    public func retry(_ fileName: String, after delay: Duration) {
        state.withLock { $0.retries[fileName] = ContinuousClock.now + delay }
        try? wake.signal()
    }

    /// Yields the retries that are due; returns the poll timeout (ms) until the next one, -1 for none.
    private static func dueRetries(_ state: WatchState, _ continuation: AsyncStream<String?>.Continuation) -> Int32 {
        let now = ContinuousClock.now
        let (due, next) = state.withLock { values -> ([String], ContinuousClock.Instant?) in
            let due: [String] = values.retries.filter { $0.value <= now }.map { $0.key }.sorted()
            for name in due { values.retries[name] = nil }
            return (due, values.retries.values.min())
        }
        for name in due { continuation.yield(name) }
        guard let next else { return -1 }
        let (seconds, attoseconds) = (next - now).components
        let milliseconds: Int64 = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(min(3_600_000, milliseconds))
    }

    private static func loop(
        inotify: Inotify, wake: EventFD, state: WatchState, continuation: AsyncStream<String?>.Continuation
    ) {
        defer {
            inotify.close()
            wake.close()
            continuation.finish()
        }
        while true {
            let timeout = dueRetries(state, continuation)
            guard
                let ready = try? Poll.wait(
                    [(inotify.descriptor, .readable), (wake.descriptor, .readable)], timeoutMilliseconds: timeout)
            else { return }
            if ready[1] != [] {
                _ = try? wake.drain()
                if state.withLock({ $0.stopping }) { return }
            }
            guard ready[0] != [] else { continue }
            guard let events = try? inotify.read() else { return }
            for event in events {
                if event.events.contains(.overflow) || !event.events.isDisjoint(with: [.deletedSelf, .movedSelf]) {
                    continuation.yield(nil)
                } else if !event.name.isEmpty {
                    // A file merely created is reported when it is closed after writing.
                    let interesting = !event.events.isDisjoint(with: [
                        .closedAfterWriting, .movedIn, .movedOut, .deleted,
                    ])
                    if interesting && event.name.hasSuffix(".json") && !RoutineFileName.isIgnored(event.name) {
                        continuation.yield(event.name)
                    }
                }
            }
        }
    }
}
