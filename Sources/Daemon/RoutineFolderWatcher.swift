import Foundation
import CLinux
import Glibc
import RoutineModel

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
    public let folder: String

    /// Starts watching `folder`; throws with the folder and the C library's message when it cannot.
    public init(folder: String) throws {
        self.folder = folder
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw WatcherError("inotify_init1: \(String(cString: strerror(errno)))") }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, folder, mask) >= 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw WatcherError("cannot watch \(folder): \(message)")
        }
        inotify = fd
        wake = eventfd(0, Int32(EFD_CLOEXEC))
        (changes, continuation) = AsyncStream.makeStream(of: String?.self)
        let thread = Thread { [inotify, wake, continuation] in
            routines_name_thread("routines-watch")
            RoutineFolderWatcher.loop(inotify: inotify, wake: wake, continuation: continuation)
        }
        thread.name = "routines-inotify"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops the watcher thread; the stream finishes.
    public func stop() {
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    private static func loop(inotify: Int32, wake: Int32, continuation: AsyncStream<String?>.Continuation) {
        defer {
            close(inotify)
            close(wake)
            continuation.finish()
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        while true {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
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
