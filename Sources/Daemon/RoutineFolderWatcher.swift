import CLinux
import Foundation
import Glibc
import RoutineModel
import Synchronization

/// Watches the routines folder with inotify on a thread of its own and reports the names of files
/// that changed (created, written and closed, renamed into or out of, deleted). Editors' atomic saves
/// (write a temporary file, rename it over the routine) arrive as one change of the routine's name;
/// the temporary names themselves are ignored.
public final class RoutineFolderWatcher: Sendable {
    /// File names (not paths) that changed; `nil` means "re-scan everything" (the folder moved or the
    /// event queue overflowed).
    public let changes: AsyncStream<String?>
    private let continuation: AsyncStream<String?>.Continuation
    private let inotify: Int32
    private let wake: Int32
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

    /// Starts watching `folder`; throws with the folder and the C library's message when it cannot.
    public init(folder: String) throws {
        self.folder = folder
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw WatcherError("inotify_init1: \(String(cString: strerror(errno)))") }
        let mask = UInt32(
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, folder, mask) >= 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw WatcherError("cannot watch \(folder): \(message)")
        }
        inotify = fd
        wake = eventfd(0, Int32(EFD_CLOEXEC))
        (changes, continuation) = AsyncStream.makeStream(of: String?.self)
        let state = WatchState()
        self.state = state
        let thread = Thread { [inotify, wake, continuation, state] in
            routines_name_thread("routines-watch")
            RoutineFolderWatcher.loop(inotify: inotify, wake: wake, state: state, continuation: continuation)
        }
        thread.name = "routines-inotify"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops the watcher thread; the stream finishes.
    public func stop() {
        state.withLock { $0.stopping = true }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    /// Reports `fileName` again after `delay` (a file that could not be read: inotify will not say
    /// anything more about it until it changes).
    public func retry(_ fileName: String, after delay: Duration) {
        state.withLock { $0.retries[fileName] = ContinuousClock.now + delay }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
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
        inotify: Int32, wake: Int32, state: WatchState, continuation: AsyncStream<String?>.Continuation
    ) {
        defer {
            close(inotify)
            close(wake)
            continuation.finish()
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [
            pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let timeout = dueRetries(state, continuation)
            if poll(&fds, 2, timeout) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 {
                var value: UInt64 = 0
                _ = read(wake, &value, 8)
                if state.withLock({ $0.stopping }) { return }
            }
            guard fds[0].revents != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (mask, length) = buffer.withUnsafeBytes { raw -> (UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                    continuation.yield(nil)
                } else if length > 0 {
                    let nameBytes = buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    // A file merely created is reported when it is closed after writing.
                    let interesting = mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) != 0
                    if interesting && name.hasSuffix(".json") && !RoutineFileName.isIgnored(name) {
                        continuation.yield(name)
                    }
                }
                offset = nameStart + length
            }
        }
    }
}

/// An inotify problem, naming the folder.
public struct WatcherError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
