@_exported import struct SystemPackage.Errno
@_exported import struct SystemPackage.FileDescriptor
@_exported import struct SystemPackage.FilePermissions

#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: the C function, the path it was about (when there is one) and the
/// kernel's error, described by the C library's own message (`connect /run/x.sock: Connection
/// refused`).
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C function, as its manual page names it (`inotify_add_watch`, `openat2`, `connect`).
    public let call: String
    /// The file, folder or socket the call was about, when it names one.
    public let path: String?
    /// What the kernel answered (for a resolver failure, the nearest errno: see `message`).
    public let errno: Errno
    /// The library's own message when its error is not an errno (`getaddrinfo`'s `EAI_*` codes, as
    /// `gai_strerror` says them); nil: the errno's message.
    public let message: String?

    /// A failure of `call` (about `path`) with `errno`, described by `message` when the library has
    /// its own.
    public init(_ call: String, path: String? = nil, errno: Errno, message: String? = nil) {
        self.call = call
        self.path = path
        self.errno = errno
        self.message = message
    }

    /// `call path: message`, or `call: message` without a path.
    public var description: String {
        let message = message ?? errno.description
        if let path { return "\(call) \(path): \(message)" }
        return "\(call): \(message)"
    }
}

/// Runs a raw system call (one that returns -1 and sets `errno` on failure) again while a signal
/// interrupts it (EINTR), and turns any other failure into a `SystemCallError` naming the call and
/// the path. The only retry loop of the project: every call of this module goes through it.
@inline(__always)
func retryingInterrupts<T: FixedWidthInteger>(
    _ call: String, path: String? = nil, _ body: () -> T
) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Errno(rawValue: Glibc.errno)
        if code != .interrupted { throw SystemCallError(call, path: path, errno: code) }
    }
}

/// The same for calls that return the error number itself (0 for success) instead of -1 and
/// `errno` (`posix_spawn`).
@inline(__always)
func retryingInterruptsReturningError(_ call: String, path: String? = nil, _ body: () -> Int32)
    throws(SystemCallError)
{
    while true {
        let result = body()
        if result == 0 { return }
        if result != EINTR { throw SystemCallError(call, path: path, errno: Errno(rawValue: result)) }
    }
}
