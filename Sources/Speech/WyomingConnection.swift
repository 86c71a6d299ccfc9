import Foundation
import RoutineModel

#if canImport(Glibc)
    import Glibc
#endif

/// Why a Wyoming server could not be used; the description names the server.
public struct WyomingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for fallbacks that treat some cases differently.
    public enum Kind: Sendable, Equatable {
        case cannotConnect, timedOut, closed, malformed, serverError, unsupportedAudio
    }
    public var kind: Kind
    /// `piper (tcp://127.0.0.1:10200)`.
    public var server: String
    public var message: String

    public init(_ kind: Kind, server: String, _ message: String) {
        self.kind = kind
        self.server = server
        self.message = message
    }

    public var description: String { "\(server) \(message)" }
}

/// One event of the Wyoming protocol: a JSON header line (`type`, optional `data`, `data_length`,
/// `payload_length`), then `data_length` bytes of JSON data and `payload_length` bytes of payload.
struct WyomingEvent: Sendable, Equatable {
    var type: String
    /// The header's `data` merged with the data bytes (an object; `.object([])` when there is none).
    var data: JSONValue
    var payload: [UInt8]

    /// Largest header line, data and payload accepted (a server's `info` is about 90 KB).
    static let maximumHeader = 64 * 1024
    static let maximumData = 8 * 1024 * 1024
    static let maximumPayload = 16 * 1024 * 1024

    /// The bytes of an event with JSON `data` (an object's text) and no payload.
    static func encode(type: String, data: String) -> [UInt8] {
        let body = Array(data.utf8)
        let header = "{\"type\":\(JSONText.string(type)),\"data_length\":\(body.count)}\n"
        return Array(header.utf8) + body
    }
}

/// One TCP connection to a Wyoming server, used by one thread: blocking calls, each with a deadline
/// (the socket is non-blocking and every wait is a `poll`). Closed when released.
final class WyomingConnection {
    let server: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects to `host`:`port` within `timeout`.
    init(host: String, port: Int, timeout: Duration, server: String) throws(WyomingError) {
        self.server = server
        let deadline = ContinuousClock.now + timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw WyomingError(
                .cannotConnect, server: server, "cannot be reached: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let entry = address {
            address = entry.pointee.ai_next
            let socketFD = socket(
                entry.pointee.ai_family,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                    | Int32(SOCK_NONBLOCK.rawValue), 0)
            if socketFD < 0 {
                lastError = String(cString: strerror(errno))
                continue
            }
            var connected = Glibc.connect(socketFD, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0
            if !connected && errno == EINPROGRESS {
                switch Self.wait(socketFD, for: Int16(POLLOUT), until: deadline) {
                case .ready:
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(socketFD, SOL_SOCKET, SO_ERROR, &error, &length)
                    connected = error == 0
                    if !connected { lastError = String(cString: strerror(error)) }
                case .timedOut:
                    lastError = "no answer within \(timeout) (connect timeout)"
                case .failed(let message):
                    lastError = message
                }
            } else if !connected {
                lastError = String(cString: strerror(errno))
            }
            if connected {
                var one: Int32 = 1
                setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                fd = socketFD
                return
            }
            Glibc.close(socketFD)
            if ContinuousClock.now >= deadline { break }
        }
        throw WyomingError(
            lastError.contains("timeout") ? .timedOut : .cannotConnect, server: server,
            "cannot be reached: \(lastError)")
    }

    deinit { Glibc.close(fd) }

    /// Sends one event with JSON `data`.
    func send(type: String, data: String, deadline: ContinuousClock.Instant) throws(WyomingError) {
        let bytes = WyomingEvent.encode(type: type, data: data)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try waitOrThrow(Int16(POLLOUT), until: deadline, doing: "sending \(type)")
            } else {
                throw WyomingError(
                    .closed, server: server,
                    "closed the connection while we sent \(type): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The next event, which must arrive by `deadline`.
    func receive(until deadline: ContinuousClock.Instant, waitingFor what: String) throws(WyomingError) -> WyomingEvent
    {
        // Drop what earlier events used (only here, so indices into the buffer stay valid while reading one).
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let line = try readLine(until: deadline, waitingFor: what)
        let header: JSONNode
        do {
            header = try JSONParser.parse(line)
        } catch {
            throw WyomingError(.malformed, server: server, "sent an event header that is not JSON (\(error.message))")
        }
        guard case .object = header.value, let type = header.value["type"]?.stringValue else {
            throw WyomingError(.malformed, server: server, "sent an event header without a \"type\"")
        }
        var members: [JSONMember] = []
        if case .object(let inline)? = header.value["data"] { members = inline }
        let dataLength = try length(header.value["data_length"], "data_length", limit: WyomingEvent.maximumData)
        if dataLength > 0 {
            let bytes = try read(dataLength, until: deadline, waitingFor: what)
            guard case .object(let extra) = (try? JSONParser.parse(bytes))?.value else {
                throw WyomingError(.malformed, server: server, "sent \(type) data that is not a JSON object")
            }
            members += extra
        }
        let payloadLength = try length(
            header.value["payload_length"], "payload_length", limit: WyomingEvent.maximumPayload)
        let payload = payloadLength > 0 ? try read(payloadLength, until: deadline, waitingFor: what) : []
        return WyomingEvent(type: type, data: .object(members), payload: payload)
    }

    private func length(_ value: JSONValue?, _ key: String, limit: Int) throws(WyomingError) -> Int {
        guard let value, value != .null else { return 0 }
        guard let number = value.numberValue, number >= 0, number == number.rounded(), number <= Double(limit) else {
            throw WyomingError(
                .malformed, server: server, "sent an event header with \(key) \(value) (at most \(limit))")
        }
        return Int(number)
    }

    private func readLine(until deadline: ContinuousClock.Instant, waitingFor what: String) throws(WyomingError)
        -> [UInt8]
    {
        var searched = start
        while true {
            if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return line
            }
            searched = buffer.count
            if buffer.count - start > WyomingEvent.maximumHeader {
                throw WyomingError(.malformed, server: server, "sent an event header longer than 64 KiB")
            }
            try fill(until: deadline, waitingFor: what)
        }
    }

    private func read(_ count: Int, until deadline: ContinuousClock.Instant, waitingFor what: String)
        throws(WyomingError)
        -> [UInt8]
    {
        while buffer.count - start < count { try fill(until: deadline, waitingFor: what) }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }

    /// Reads what the socket has (waiting for it until `deadline`) into the buffer.
    private func fill(until deadline: ContinuousClock.Instant, waitingFor what: String) throws(WyomingError) {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[0..<count]
                return
            }
            if count == 0 {
                throw WyomingError(.closed, server: server, "closed the connection while we waited for \(what)")
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else {
                throw WyomingError(
                    .closed, server: server,
                    "connection failed while we waited for \(what): \(String(cString: strerror(errno)))")
            }
            try waitOrThrow(Int16(POLLIN), until: deadline, doing: "waiting for \(what)")
        }
    }

    private func waitOrThrow(_ events: Int16, until deadline: ContinuousClock.Instant, doing what: String)
        throws(WyomingError)
    {
        switch Self.wait(fd, for: events, until: deadline) {
        case .ready: return
        case .timedOut: throw WyomingError(.timedOut, server: server, "did not answer in time (\(what))")
        case .failed(let message): throw WyomingError(.closed, server: server, "connection failed \(what): \(message)")
        }
    }

    private enum Readiness {
        case ready, timedOut
        case failed(String)
    }

    /// Waits until `fd` is ready for `events` or `deadline` passes (retrying on EINTR).
    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Readiness {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return .timedOut }
            let milliseconds =
                remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&descriptor, 1, Int32(min(milliseconds, Int64(Int32.max))))
            if result > 0 { return .ready }
            if result == 0 { continue }
            if errno == EINTR { continue }
            return .failed(String(cString: strerror(errno)))
        }
    }
}
