import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What a descriptor is waited for, or found ready for, in `Poll.wait` (`POLL*`).
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Data to read (`POLLIN`).
    public static let readable = PollEvents(rawValue: Int16(POLLIN))
    /// Room to write (`POLLOUT`).
    public static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// An error condition (`POLLERR`, reported, never asked for).
    public static let error = PollEvents(rawValue: Int16(POLLERR))
    /// The peer hung up (`POLLHUP`, reported, never asked for).
    public static let hangUp = PollEvents(rawValue: Int16(POLLHUP))
    /// Not an open descriptor (`POLLNVAL`, reported, never asked for).
    public static let invalid = PollEvents(rawValue: Int16(POLLNVAL))
}

/// Blocking waits for descriptors (`poll`). Blocks its thread: call it from a dedicated thread,
/// never from Swift's cooperative pool.
public enum Poll {
    /// Waits until one of `descriptors` is ready for its events, or `timeoutMilliseconds` pass (-1:
    /// no limit). Returns each descriptor's ready events in the same order (all empty: timed out). A
    /// signal (EINTR) resumes the wait for the time that is left.
    public static func wait(
        _ descriptors: [(FileDescriptor, PollEvents)], timeoutMilliseconds: Int32 = -1
    ) throws(SystemCallError) -> [PollEvents] {
        var fds = descriptors.map { pollfd(fd: $0.0.rawValue, events: $0.1.rawValue, revents: 0) }
        let start = timeoutMilliseconds > 0 ? KernelClock.monotonic.nanoseconds : 0
        var timeout = timeoutMilliseconds
        while true {
            let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if ready >= 0 { return fds.map { PollEvents(rawValue: $0.revents) } }
            let code = Errno(rawValue: Glibc.errno)
            guard code == .interrupted else { throw SystemCallError("poll", errno: code) }
            if timeoutMilliseconds > 0 {
                let elapsed = (KernelClock.monotonic.nanoseconds - start) / 1_000_000
                timeout = Int32(max(0, Int64(timeoutMilliseconds) - elapsed))
            }
        }
    }
}
