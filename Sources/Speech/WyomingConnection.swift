import RoutineModel
import SystemIO

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

    /// The bytes of an event with `data` (written as a JSON object by `JSONText`) and no payload. The
    /// header line names the type first, as the `wyoming` package writes it.
    static func encode(type: String, data: some Encodable) -> [UInt8] {
        let body = JSONText.encode(data)
        let header = "{\"type\":\(JSONText.string(type)),\"data_length\":\(body.count)}\n"
        return Array(header.utf8) + body
    }
}

/// `synthesize`'s data: the text, and the voice unless the server's default is wanted.
struct SynthesizeData: Encodable {
    struct Voice: Encodable {
        var name: String
    }
    var text: String
    /// Nil: no `voice` member (the server's default voice).
    var voice: Voice?
}

/// The data of an event that has none to give (`describe`): `{}`.
struct NoData: Encodable {}

/// One TCP connection to a Wyoming server, used by one thread: blocking calls, each with a deadline
/// (SystemIO's `TCPSocket`: non-blocking, every wait a `poll`). Closed when released.
final class WyomingConnection {
    let server: String
    private let socket: TCPSocket
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects to `host`:`port` within `timeout`.
    init(host: String, port: Int, timeout: Duration, server: String) throws(WyomingError) {
        self.server = server
        do {
            socket = try TCPSocket.connect(host: host, port: port, timeout: timeout)
        } catch {
            let timedOut = error.errno == .timedOut
            throw WyomingError(
                timedOut ? .timedOut : .cannotConnect, server: server,
                "cannot be reached: \(error)" + (timedOut ? " (connect timeout \(timeout))" : ""))
        }
    }

    deinit { socket.close() }

    /// Sends one event with `data` as its JSON data.
    func send(type: String, data: some Encodable, deadline: ContinuousClock.Instant) throws(WyomingError) {
        do {
            try socket.sendAll(WyomingEvent.encode(type: type, data: data), until: deadline)
        } catch  where error.errno == .timedOut {
            throw WyomingError(.timedOut, server: server, "did not answer in time (sending \(type))")
        } catch {
            throw WyomingError(.closed, server: server, "closed the connection while we sent \(type): \(error)")
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
        let chunk: [UInt8]
        do {
            chunk = try socket.receive(until: deadline)
        } catch  where error.errno == .timedOut {
            throw WyomingError(.timedOut, server: server, "did not answer in time (waiting for \(what))")
        } catch {
            throw WyomingError(.closed, server: server, "connection failed while we waited for \(what): \(error)")
        }
        if chunk.isEmpty {
            throw WyomingError(.closed, server: server, "closed the connection while we waited for \(what)")
        }
        buffer += chunk
    }
}
