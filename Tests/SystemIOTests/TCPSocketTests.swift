import Foundation
import SystemIO
import Testing

/// TCP connections against real loopback sockets: a server that answers, one that accepts and says
/// nothing, a port that refuses, a listener whose queue is full (the SYN is dropped, so the connect
/// waits), and a name the resolver cannot look up. Each blocking body runs on a thread of its own
/// (`onThread`), never on Swift's cooperative pool, which the other suites need.
@Suite(.timeLimit(.minutes(1))) struct TCPSocketTests {
    /// A socket bound to a free port on 127.0.0.1, listening with `backlog` or not listening at all.
    final class LoopbackPort: Sendable {
        let fd: Int32
        let port: Int

        init(listening backlog: Int32?) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = fd
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound, backlog.map({ listen(fd, $0) == 0 }) ?? true else { throw POSIXError(.EADDRINUSE) }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// Accepts one connection and hands its descriptor to `body` (on a thread of its own).
        func acceptOne(_ body: @escaping @Sendable (Int32) -> Void) {
            let fd = fd
            Thread {
                let client = accept(fd, nil, nil)
                // Close-on-exec: a process another test spawns later must not keep the connection open.
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                body(client)
                close(client)
            }.start()
        }

        deinit { close(fd) }
    }

    /// What `body` throws (nil: nothing) and how long it took, run and timed on a thread of its own
    /// (so a busy cooperative pool does not count).
    func failure(_ body: @escaping @Sendable () throws(SystemCallError) -> Void) async throws -> (
        error: SystemCallError?, took: Duration
    ) {
        try await onThread { () -> (SystemCallError?, Duration) in
            let started = ContinuousClock.now
            do throws(SystemCallError) {
                try body()
                return (nil, .now - started)
            } catch {
                return (error, .now - started)
            }
        }
    }

    @Test func aConnectionCarriesBytesBothWays() async throws {
        let server = try LoopbackPort(listening: 4)
        server.acceptOne { client in
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = recv(client, &buffer, buffer.count, 0)
            let reply = Array("reply to ".utf8) + buffer.prefix(max(0, count))
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        let (peer, received) = try await onThread { () throws -> (String, [UInt8]) in
            let connection = try TCPSocket.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.sendAll(Array("hello".utf8), until: .now + .seconds(5))
            var received: [UInt8] = []
            while true {
                let chunk = try connection.receive(until: .now + .seconds(5))
                if chunk.isEmpty { return (connection.peer, received) }
                received += chunk
            }
        }
        #expect(peer == "127.0.0.1:\(server.port)")
        #expect(String(decoding: received, as: UTF8.self) == "reply to hello")
    }

    @Test func aSilentPeerTimesOutAtTheDeadline() async throws {
        let server = try LoopbackPort(listening: 4)
        let done = DispatchSemaphore(value: 0)
        // Accepts, then waits for the client to give up (its close ends this recv).
        server.acceptOne { client in
            var byte: UInt8 = 0
            _ = recv(client, &byte, 1, 0)
            done.signal()
        }
        let connection = try await onThread {
            try TCPSocket.connect(host: "localhost", port: server.port, timeout: .seconds(5))
        }
        let (error, waited) = try await failure { () throws(SystemCallError) in
            _ = try connection.receive(until: .now + .milliseconds(150))
        }
        connection.close()
        #expect(error?.call == "recv")
        #expect(error?.errno == .timedOut)
        #expect(error?.description == "recv localhost:\(server.port): Connection timed out")
        #expect(waited >= .milliseconds(150) && waited < .seconds(5), "\(waited)")
        try await onThread { done.wait() }
    }

    @Test func aPortNobodyListensOnRefuses() async throws {
        // Bound but not listening: the kernel answers the SYN with a reset, and nobody else can take the port.
        let port = try LoopbackPort(listening: nil)
        let (error, _) = try await failure { () throws(SystemCallError) in
            _ = try TCPSocket.connect(host: "127.0.0.1", port: port.port, timeout: .seconds(5))
        }
        #expect(error?.call == "connect")
        #expect(error?.path == "127.0.0.1:\(port.port)")
        #expect(error?.errno == .connectionRefused)
        #expect(error?.description == "connect 127.0.0.1:\(port.port): Connection refused")
    }

    @Test func aConnectThatIsNotAnsweredTimesOut() async throws {
        // Backlog 0 holds one connection; with it queued, the listener drops further SYNs, so the
        // next connect stays in progress until its deadline.
        let server = try LoopbackPort(listening: 0)
        let queued = try await onThread {
            try TCPSocket.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
        }
        defer { queued.close() }
        let (error, waited) = try await failure { () throws(SystemCallError) in
            _ = try TCPSocket.connect(host: "127.0.0.1", port: server.port, timeout: .milliseconds(200))
        }
        #expect(error?.call == "connect")
        #expect(error?.path == "127.0.0.1:\(server.port)")
        #expect(error?.errno == .timedOut)
        #expect(waited >= .milliseconds(200) && waited < .seconds(5), "\(waited)")
    }

    @Test func anUnknownHostNamesTheResolversMessage() async throws {
        // A 64-byte label is longer than DNS allows, so the resolver refuses it without asking a
        // name server: the same answer with or without a network.
        let host = String(repeating: "a", count: 64) + ".invalid"
        let (error, _) = try await failure { () throws(SystemCallError) in
            _ = try TCPSocket.connect(host: host, port: 10200, timeout: .seconds(5))
        }
        #expect(error?.call == "getaddrinfo")
        #expect(error?.path == "\(host):10200")
        #expect(error?.message?.isEmpty == false)
        #expect(error?.description == "getaddrinfo \(host):10200: \(error?.message ?? "")")
    }
}
