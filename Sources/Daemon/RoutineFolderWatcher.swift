import FoundationEssentials
import RoutineModel
import Synchronization
import SystemIO
import ThreadExecutor

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
    /// Reads the inotify descriptor when it is readable, and reports retries when they are due.
    private let executor = DedicatedThreadExecutor(name: "routines-watch", stackSize: 256 * 1024)
    private let state: Mutex<WatchState>
    public let folder: String

    private struct WatchState {
        /// Nil once stopped.
        var watch: DedicatedThreadExecutor.FileWatch?
        /// Files to report again, by name (a newer retry of a name replaces the older one).
        var retries: [String: (number: Int, work: DedicatedThreadExecutor.ScheduledWork)] = [:]
        var retryCount = 0
    }

    /// Starts watching `folder`; throws a `SystemCallError` naming the call and the folder when it
    /// cannot.
    public init(folder: String) throws {
        self.folder = folder
        let inotify = try Inotify(nonBlocking: true)
        do {
            try inotify.watch(
                folder,
                for: [.closedAfterWriting, .movedIn, .movedOut, .deleted, .created, .deletedSelf, .movedSelf])
        } catch {
            inotify.close()
            throw error
        }
        self.inotify = inotify
        let (changes, continuation) = AsyncStream.makeStream(of: String?.self)
        (self.changes, self.continuation) = (changes, continuation)
        state = Mutex(WatchState())
        let watch = executor.watch(inotify.descriptor) { [self] in readEvents() }
        state.withLock { $0.watch = watch }
    }

    /// Stops watching; the stream finishes and the thread ends.
    public func stop() {
        executor.execute { [self] in end() }
    }

    /// Reports `fileName` again after `delay` (a file that could not be read: inotify will not say
    /// anything more about it until it changes).
    public func retry(_ fileName: String, after delay: Duration) {
        state.withLock { state in
            guard state.watch != nil else { return }
            if let earlier = state.retries[fileName] { executor.cancel(earlier.work) }
            state.retryCount += 1
            let number = state.retryCount
            let work = executor.schedule(after: delay) { [self] in
                // (A replaced retry that was already under way when it was cancelled says nothing.)
                let due = self.state.withLock { state in
                    guard state.retries[fileName]?.number == number else { return false }
                    state.retries[fileName] = nil
                    return true
                }
                if due { continuation.yield(fileName) }
            }
            state.retries[fileName] = (number, work)
        }
    }

    /// On the watcher's thread: stops watching, closes the descriptor, finishes the stream, ends the
    /// thread.
    private func end() {
        let ended = state.withLock {
            state -> (DedicatedThreadExecutor.FileWatch, [DedicatedThreadExecutor.ScheduledWork])? in
            guard let watch = state.watch else { return nil }
            defer { state = WatchState() }
            return (watch, state.retries.values.map(\.work))
        }
        guard let (watch, retries) = ended else { return }
        executor.unwatch(watch)
        for retry in retries { executor.cancel(retry) }
        inotify.close()
        continuation.finish()
        executor.shutdown()
    }

    /// On the watcher's thread, the descriptor being readable: reports the routine files named by
    /// what inotify has. A descriptor that cannot be read any more ends the watcher.
    private func readEvents() {
        guard let events = try? inotify.read() else { return end() }
        for event in events {
            if event.events.contains(.overflow) || !event.events.isDisjoint(with: [.deletedSelf, .movedSelf]) {
                continuation.yield(nil)
            } else if !event.name.isEmpty {
                // A file merely created is reported when it is closed after writing.
                let interesting = !event.events.isDisjoint(with: [.closedAfterWriting, .movedIn, .movedOut, .deleted])
                if interesting && event.name.hasSuffix(".json") && !RoutineFileName.isIgnored(event.name) {
                    continuation.yield(event.name)
                }
            }
        }
    }
}
