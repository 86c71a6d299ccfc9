import CLinux
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A kernel event counter (`eventfd`): one thread adds to it (`signal`), another waits for it to
/// become readable in `Poll.wait` and takes the count (`drain`). The watchers and timers use one to
/// be woken from a blocking wait.
public struct EventFD: Sendable {
    public let descriptor: FileDescriptor

    /// A counter at zero (`eventfd`, with EFD_CLOEXEC; `nonBlocking`: EFD_NONBLOCK).
    public init(nonBlocking: Bool = false) throws(SystemCallError) {
        let flags = Int32(EFD_CLOEXEC) | (nonBlocking ? Int32(EFD_NONBLOCK) : 0)
        descriptor = FileDescriptor(rawValue: try retryingInterrupts("eventfd") { eventfd(0, flags) })
    }

    /// Adds 1, which makes the counter readable (`write`). Fails with EAGAIN only when a
    /// non-blocking counter is full, that is, already signalled.
    public func signal() throws(SystemCallError) {
        var one: UInt64 = 1
        _ = try retryingInterrupts("write(eventfd)") { Glibc.write(descriptor.rawValue, &one, 8) }
    }

    /// Takes the count and sets it back to zero (`read`); 0 when a non-blocking counter was not
    /// signalled.
    @discardableResult
    public func drain() throws(SystemCallError) -> UInt64 {
        try Self.drain(descriptor)
    }

    /// `drain` for a counter known only by its descriptor (in a C callback).
    @discardableResult
    public static func drain(_ descriptor: FileDescriptor) throws(SystemCallError) -> UInt64 {
        var value: UInt64 = 0
        do {
            _ = try retryingInterrupts("read(eventfd)") { Glibc.read(descriptor.rawValue, &value, 8) }
        } catch  where error.errno == .wouldBlock {
            return 0
        }
        return value
    }

    /// Closes the counter.
    public func close() { descriptor.closeQuietly() }
}
