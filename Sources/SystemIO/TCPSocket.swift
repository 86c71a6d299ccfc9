import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connection to a host and port, for a client that blocks one thread (a Wyoming utterance):
/// the socket is non-blocking and every wait is a `poll` until a deadline, so no call blocks longer
/// than its caller allows. Errors name the call and `host:port`; a deadline that passes is
/// ETIMEDOUT (`connect 10.0.0.9:10200: Connection timed out`).
public struct TCPSocket: Sendable {
    public let descriptor: FileDescriptor
    /// `host:port` (`[::1]:10200` for an IPv6 literal), for error messages.
    public let peer: String

    /// Resolves `host` (`getaddrinfo`, IPv4 and IPv6) and connects to the first of its addresses
    /// that accepts within `timeout` (`socket`, non-blocking `connect`, `poll`, SO_ERROR), with
    /// TCP_NODELAY. A resolver failure names `getaddrinfo` with its own message; otherwise the
    /// error is the last address's.
    public static func connect(host: String, port: Int, timeout: Duration) throws(SystemCallError) -> TCPSocket {
        let peer = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let deadline = ContinuousClock.now + timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        // No EINTR retry: glibc's resolver retries its own interrupted waits.
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw resolverError(status, peer: peer)
        }
        defer { freeaddrinfo(list) }
        var lastError = SystemCallError("connect", path: peer, errno: .addressNotAvailable)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            do {
                return try connect(address.pointee, peer: peer, until: deadline)
            } catch {
                lastError = error
                if error.errno == .timedOut { break }
            }
        }
        throw lastError
    }

    /// One address: the socket is closed again when the connection fails.
    private static func connect(_ address: addrinfo, peer: String, until deadline: ContinuousClock.Instant)
        throws(SystemCallError) -> TCPSocket
    {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = try retryingInterrupts("socket", path: peer) { socket(address.ai_family, type, 0) }
        let connection = TCPSocket(descriptor: FileDescriptor(rawValue: fd), peer: peer)
        do throws(SystemCallError) {
            // A signal does not undo a connect in progress: it completes in the background, so the
            // wait continues in `poll` and the outcome is read from SO_ERROR (as `UnixSocket.connect`).
            if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) != 0 {
                let code = Errno(rawValue: Glibc.errno)
                guard code == .interrupted || code == .nowInProgress else {
                    throw SystemCallError("connect", path: peer, errno: code)
                }
                try connection.wait(for: .writable, until: deadline, call: "connect")
                var pending: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = try retryingInterrupts("getsockopt(SO_ERROR)", path: peer) {
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length)
                }
                if pending != 0 { throw SystemCallError("connect", path: peer, errno: Errno(rawValue: pending)) }
            }
            var one: Int32 = 1
            _ = try retryingInterrupts("setsockopt(TCP_NODELAY)", path: peer) {
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            return connection
        } catch {
            connection.close()
            throw error
        }
    }

    private init(descriptor: FileDescriptor, peer: String) {
        self.descriptor = descriptor
        self.peer = peer
    }

    /// `getaddrinfo`'s failure: its own message, and the nearest errno for callers that match on it.
    private static func resolverError(_ status: Int32, peer: String) -> SystemCallError {
        let errno: Errno
        switch status {
        case EAI_SYSTEM: errno = Errno(rawValue: Glibc.errno)
        case EAI_AGAIN: errno = .resourceTemporarilyUnavailable
        case EAI_MEMORY: errno = .noMemory
        default: errno = .noRouteToHost
        }
        let message = status == EAI_SYSTEM ? nil : String(cString: gai_strerror(status))
        return SystemCallError("getaddrinfo", path: peer, errno: errno, message: message)
    }

    /// Sends all of `bytes` (`send` with MSG_NOSIGNAL: a closed peer is EPIPE, not a SIGPIPE),
    /// waiting for room in the socket's buffer until `deadline`.
    public func sendAll(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            do {
                offset += try retryingInterrupts("send", path: peer) {
                    bytes.withUnsafeBytes {
                        Glibc.send(
                            descriptor.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                    }
                }
            } catch  where error.errno == .wouldBlock {
                try wait(for: .writable, until: deadline, call: "send")
            }
        }
    }

    /// What has arrived, at most `maxCount` bytes (`recv`), waiting for something until `deadline`;
    /// empty when the peer closed the connection.
    public func receive(maxCount: Int = 65_536, until deadline: ContinuousClock.Instant) throws(SystemCallError)
        -> [UInt8]
    {
        var buffer = [UInt8](repeating: 0, count: maxCount)
        while true {
            do {
                let count = try retryingInterrupts("recv", path: peer) {
                    buffer.withUnsafeMutableBytes { recv(descriptor.rawValue, $0.baseAddress, $0.count, 0) }
                }
                buffer.removeSubrange(count...)
                return buffer
            } catch  where error.errno == .wouldBlock {
                try wait(for: .readable, until: deadline, call: "recv")
            }
        }
    }

    /// Waits until the socket is ready for `events`; ETIMEDOUT for `call` when `deadline` passes first.
    private func wait(for events: PollEvents, until deadline: ContinuousClock.Instant, call: String)
        throws(SystemCallError)
    {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { throw SystemCallError(call, path: peer, errno: .timedOut) }
            // Rounded up, so the wait never ends just before the deadline and spins.
            let milliseconds =
                remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
            let ready = try Poll.wait(
                [(descriptor, events)], timeoutMilliseconds: Int32(min(milliseconds, Int64(Int32.max))))
            if !ready[0].isEmpty { return }
        }
    }

    /// Closes the connection.
    public func close() { descriptor.closeQuietly() }
}
