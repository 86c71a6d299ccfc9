import Foundation
import SystemIO
import Testing

/// Unix sockets: addresses built once, real bind/connect/accept in a temporary folder.
@Suite struct SocketTests {
    @Test func aStreamConnectionCarriesBytesBothWays() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let address = try UnixSocketAddress(path: folder.path + "/api.sock")
        var listener = try UnixSocket(.stream)
        defer { listener.close() }
        try listener.bind(to: address)
        try listener.listen()
        #expect(try FileKind.of(address.description, followingLinks: false) == .socket)
        let server = Task { [listener] in
            try await onThread { () -> [UInt8] in
                let connection = try listener.accept()
                defer { connection.close() }
                let request = try connection.receive()
                try connection.sendAll(Array("reply to ".utf8) + request)
                return request
            }
        }
        let client = try UnixSocket.connected(to: address)
        defer { client.close() }
        try client.sendAll(Array("hello".utf8))
        #expect(String(decoding: try client.receiveToEnd(), as: UTF8.self) == "reply to hello")
        #expect(try await server.value == Array("hello".utf8))
    }

    @Test func connectingToNoSocketNamesThePath() throws {
        let path = NSTemporaryDirectory() + "none-\(UUID().uuidString).sock"
        let error = #expect(throws: SystemCallError.self) {
            try UnixSocket.connected(to: try UnixSocketAddress(path: path))
        }
        #expect(error?.call == "connect")
        #expect(error?.path == path)
        #expect(error?.errno == .noSuchFileOrDirectory)
    }

    @Test func datagramsReachPathAndAbstractAddresses() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let abstractName = "routines-systemio-\(UUID().uuidString)"
        for address in [
            try UnixSocketAddress(path: folder.path + "/notify.sock"), try UnixSocketAddress.parse("@" + abstractName),
        ] {
            var receiver = try UnixSocket(.datagram)
            defer { receiver.close() }
            try receiver.bind(to: address)
            let sender = try UnixSocket(.datagram)
            defer { sender.close() }
            #expect(try sender.send(Array("READY=1".utf8), to: address) == 7)
            #expect(try receiver.receive() == Array("READY=1".utf8))
        }
        #expect(try UnixSocketAddress.parse("@" + abstractName).description == "@" + abstractName)
        // No file for an abstract address.
        #expect(!FileKind.exists("@" + abstractName))
    }

    @Test func refusesAddressesThatDoNotFit() throws {
        let long = "/tmp/" + String(repeating: "x", count: 110)
        let error = #expect(throws: SystemCallError.self) { try UnixSocketAddress(path: long) }
        #expect(error?.description == "sockaddr_un \(long): File name too long")
        #expect(throws: SystemCallError.self) { try UnixSocketAddress(path: "") }
        #expect(throws: SystemCallError.self) { try UnixSocketAddress(path: "a\u{0}b") }
        // 107 bytes and the terminating NUL fill sun_path exactly.
        #expect(throws: Never.self) { try UnixSocketAddress(path: "/" + String(repeating: "y", count: 106)) }
    }
}
