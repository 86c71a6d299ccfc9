import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The address of a Unix socket: a path in the file system, or a name in the abstract namespace
/// (which systemd writes as `@name`). Built once here, so no caller fills a `sockaddr_un` by hand.
public struct UnixSocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// The path, or `@name` for an abstract address.
    public let description: String
    /// What goes into `sun_path`: the path's bytes, or a NUL and the abstract name.
    private let bytes: [UInt8]

    /// The capacity of `sun_path` (108 bytes on Linux).
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// A socket file at `path`; fails with ENAMETOOLONG when `sun_path` cannot hold it (107 bytes
    /// and the terminating NUL) and EINVAL when it is empty or contains a NUL.
    public init(path: String) throws(SystemCallError) {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, !bytes.contains(0) else {
            throw SystemCallError("sockaddr_un", path: path, errno: .invalidArgument)
        }
        guard bytes.count < Self.capacity else {
            throw SystemCallError("sockaddr_un", path: path, errno: .fileNameTooLong)
        }
        self.bytes = bytes
        description = path
    }

    /// An abstract address (`name` without the leading `@`): no file, gone with its socket.
    public static func abstract(_ name: String) throws(SystemCallError) -> UnixSocketAddress {
        let bytes = [0] + Array(name.utf8)
        guard bytes.count <= capacity else {
            throw SystemCallError("sockaddr_un", path: "@" + name, errno: .fileNameTooLong)
        }
        return UnixSocketAddress(bytes: bytes, description: "@" + name)
    }

    /// `$NOTIFY_SOCKET`'s form: `@name` is abstract, anything else a path.
    public static func parse(_ text: String) throws(SystemCallError) -> UnixSocketAddress {
        text.hasPrefix("@") ? try abstract(String(text.dropFirst())) : try UnixSocketAddress(path: text)
    }

    private init(bytes: [UInt8], description: String) {
        self.bytes = bytes
        self.description = description
    }

    /// Calls `body` with the `sockaddr` and its length; the pointer must not escape.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        // A path counts its terminating NUL (the rest of sun_path is zero); an abstract name does not.
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }
}

/// A Unix socket (`AF_UNIX`): connect, send and receive with errors that name the socket's address.
/// Blocking calls: from a dedicated thread or a short-lived command, never Swift's cooperative pool.
public struct UnixSocket: Sendable {
    public let descriptor: FileDescriptor
    /// The address it is connected or bound to, for error messages.
    public private(set) var address: UnixSocketAddress?

    /// Byte stream or datagrams.
    public enum Kind: Sendable {
        case stream, datagram

        var type: Int32 {
            switch self {
            case .stream: Int32(SOCK_STREAM.rawValue)
            case .datagram: Int32(SOCK_DGRAM.rawValue)
            }
        }
    }

    /// A new socket (`socket`, with SOCK_CLOEXEC).
    public init(_ kind: Kind) throws(SystemCallError) {
        let type = kind.type | Int32(SOCK_CLOEXEC.rawValue)
        descriptor = FileDescriptor(rawValue: try retryingInterrupts("socket") { socket(AF_UNIX, type, 0) })
    }

    private init(descriptor: FileDescriptor, address: UnixSocketAddress?) {
        self.descriptor = descriptor
        self.address = address
    }

    /// A stream socket connected to `address`; the socket is closed again when that fails.
    public static func connected(to address: UnixSocketAddress) throws(SystemCallError) -> UnixSocket {
        var socket = try UnixSocket(.stream)
        do {
            try socket.connect(to: address)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Connects to `address` (`connect`). A signal during `connect` does not undo it: the
    /// connection completes in the background, so the wait continues in `poll` and the outcome is
    /// read from SO_ERROR rather than by connecting again.
    public mutating func connect(to address: UnixSocketAddress) throws(SystemCallError) {
        let fd = descriptor.rawValue
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result != 0 {
            let code = Errno(rawValue: Glibc.errno)
            guard code == .interrupted || code == .nowInProgress else {
                throw SystemCallError("connect", path: address.description, errno: code)
            }
            _ = try Poll.wait([(descriptor, .writable)])
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = try retryingInterrupts("getsockopt(SO_ERROR)", path: address.description) {
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length)
            }
            if pending != 0 {
                throw SystemCallError("connect", path: address.description, errno: Errno(rawValue: pending))
            }
        }
        self.address = address
    }

    /// Binds the socket to `address` (`bind`); a path address creates the socket file.
    public mutating func bind(to address: UnixSocketAddress) throws(SystemCallError) {
        let fd = descriptor.rawValue
        _ = try retryingInterrupts("bind", path: address.description) {
            address.withSockaddr { Glibc.bind(fd, $0, $1) }
        }
        self.address = address
    }

    /// Accepts connections on a bound stream socket (`listen`).
    public func listen(backlog: Int32 = 16) throws(SystemCallError) {
        _ = try retryingInterrupts("listen", path: address?.description) { Glibc.listen(descriptor.rawValue, backlog) }
    }

    /// Waits for the next connection on a listening socket (`accept`, then FD_CLOEXEC).
    public func accept() throws(SystemCallError) -> UnixSocket {
        let fd = try retryingInterrupts("accept", path: address?.description) {
            Glibc.accept(descriptor.rawValue, nil, nil)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return UnixSocket(descriptor: FileDescriptor(rawValue: fd), address: address)
    }

    /// Sends all of `bytes` on a connected stream (`send` with MSG_NOSIGNAL: a closed peer is an
    /// EPIPE error, not a SIGPIPE).
    public func sendAll(_ bytes: [UInt8]) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            offset += try retryingInterrupts("send", path: address?.description) {
                bytes.withUnsafeBytes {
                    Glibc.send(descriptor.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
        }
    }

    /// Sends one datagram to `destination` (`sendto` with MSG_NOSIGNAL); returns the bytes sent.
    @discardableResult
    public func send(_ bytes: [UInt8], to destination: UnixSocketAddress) throws(SystemCallError) -> Int {
        try retryingInterrupts("sendto", path: destination.description) {
            destination.withSockaddr { address, length in
                bytes.withUnsafeBytes {
                    sendto(descriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
        }
    }

    /// Receives what is there, at most `maxCount` bytes (`recv`): a datagram, or part of the stream
    /// (empty at its end).
    public func receive(maxCount: Int = 16_384) throws(SystemCallError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxCount)
        let count = try retryingInterrupts("recv", path: address?.description) {
            buffer.withUnsafeMutableBytes { recv(descriptor.rawValue, $0.baseAddress, $0.count, 0) }
        }
        buffer.removeSubrange(count...)
        return buffer
    }

    /// Receives until the peer closes the stream.
    public func receiveToEnd() throws(SystemCallError) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try receive()
            if chunk.isEmpty { return bytes }
            bytes += chunk
        }
    }

    /// Closes the socket (a bound path's file stays: remove it with `FileSystem.remove`).
    public func close() { descriptor.closeQuietly() }
}
