import CLinux
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// File system events for watched folders (`inotify`): readable in `Poll.wait` when events wait,
/// read as `Inotify.Event`s.
public struct Inotify: Sendable {
    public let descriptor: FileDescriptor

    /// The kinds of event (`IN_*`).
    public struct Events: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let created = Events(rawValue: UInt32(IN_CREATE))
        public static let closedAfterWriting = Events(rawValue: UInt32(IN_CLOSE_WRITE))
        public static let movedIn = Events(rawValue: UInt32(IN_MOVED_TO))
        public static let movedOut = Events(rawValue: UInt32(IN_MOVED_FROM))
        public static let deleted = Events(rawValue: UInt32(IN_DELETE))
        /// The watched folder itself was deleted.
        public static let deletedSelf = Events(rawValue: UInt32(IN_DELETE_SELF))
        /// The watched folder itself was moved.
        public static let movedSelf = Events(rawValue: UInt32(IN_MOVE_SELF))
        /// Events were lost: the kernel's queue overflowed (reported, never asked for).
        public static let overflow = Events(rawValue: UInt32(IN_Q_OVERFLOW))
    }

    /// One event: which watch, what happened, and the name inside the watched folder ("" for the
    /// folder itself or an overflow).
    public struct Event: Sendable, Equatable {
        public var watch: Int32
        public var events: Events
        public var name: String
    }

    /// A new instance with no watches (`inotify_init1`, with IN_CLOEXEC; `nonBlocking`: IN_NONBLOCK).
    public init(nonBlocking: Bool = false) throws(SystemCallError) {
        let flags = Int32(IN_CLOEXEC) | (nonBlocking ? Int32(IN_NONBLOCK) : 0)
        descriptor = FileDescriptor(rawValue: try retryingInterrupts("inotify_init1") { inotify_init1(flags) })
    }

    /// Watches `path` for `events` (`inotify_add_watch`); returns the watch descriptor.
    @discardableResult
    public func watch(_ path: String, for events: Events) throws(SystemCallError) -> Int32 {
        try retryingInterrupts("inotify_add_watch", path: path) {
            inotify_add_watch(descriptor.rawValue, path, events.rawValue)
        }
    }

    /// Reads the waiting events (`read`): blocks until there are some unless the instance is
    /// non-blocking (then none is `[]`).
    public func read() throws(SystemCallError) -> [Event] {
        // Room for many events at once (each is 16 bytes and its name, at most NAME_MAX + 1).
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count: Int
        do {
            count = try retryingInterrupts("read(inotify)") {
                buffer.withUnsafeMutableBytes { Glibc.read(descriptor.rawValue, $0.baseAddress, $0.count) }
            }
        } catch  where error.errno == .wouldBlock {
            return []
        }
        return Self.parse(buffer[0..<count])
    }

    /// Splits a buffer the kernel filled into events.
    static func parse(_ bytes: ArraySlice<UInt8>) -> [Event] {
        var events: [Event] = []
        var offset = bytes.startIndex
        let headerSize = MemoryLayout<inotify_event>.size
        while offset + headerSize <= bytes.endIndex {
            let (watch, mask, length) = bytes.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                let event = raw.loadUnaligned(fromByteOffset: offset - bytes.startIndex, as: inotify_event.self)
                return (event.wd, event.mask, Int(event.len))
            }
            let nameStart = offset + headerSize
            let nameEnd = min(nameStart + length, bytes.endIndex)
            let name = String(decoding: bytes[nameStart..<nameEnd].prefix { $0 != 0 }, as: UTF8.self)
            events.append(Event(watch: watch, events: Events(rawValue: mask), name: name))
            offset = nameStart + length
        }
        return events
    }

    /// Closes the instance (and its watches).
    public func close() { descriptor.closeQuietly() }
}
