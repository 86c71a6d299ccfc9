import SystemIO

/// A response from the daemon's control API.
struct APIReply {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A small HTTP/1.1 client for the daemon's Unix socket; no Foundation, so `routines trigger` starts fast.
struct DaemonClient {
    /// The socket path, resolved as SPEC §2 says.
    let socketPath: String

    /// `--socket`, else `$ROUTINES_SOCKET`, else `$XDG_RUNTIME_DIR/routines.sock`, else `/tmp/routines-$UID.sock`.
    static func resolveSocket(_ explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let value = CurrentProcess.environment("ROUTINES_SOCKET") { return value }
        if let value = CurrentProcess.environment("XDG_RUNTIME_DIR") { return value + "/routines.sock" }
        return "/tmp/routines-\(CurrentProcess.userID).sock"
    }

    init(socket: String?) {
        socketPath = DaemonClient.resolveSocket(socket)
    }

    /// Sends one request and reads the whole response; errors are one line naming the socket.
    func request(_ method: String, _ path: String, body: [UInt8]? = nil) throws(CLIError) -> APIReply {
        let address: UnixSocketAddress
        do {
            address = try UnixSocketAddress(path: socketPath)
        } catch {
            throw CLIError("the socket path \(socketPath) is too long")
        }
        let socket: UnixSocket
        do {
            socket = try UnixSocket.connected(to: address)
        } catch {
            throw unreachable(error.errno)
        }
        defer { socket.close() }
        // X-Routines-Client: the daemon records runs this starts as `cli` (not `api`).
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Routines-Client: cli\r\n"
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method != "GET" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        var request = Array(head.utf8)
        if let body { request += body }
        var response: [UInt8] = []
        do {
            try socket.sendAll(request)
            // Until the daemon closes, or as soon as the whole reply is here (no wait for the close).
            while true {
                let chunk = try socket.receive()
                if chunk.isEmpty { break }
                response += chunk
                if Self.isComplete(response) { break }
            }
        } catch {
            throw CLIError("lost the connection to the daemon at \(socketPath): \(error.errno)")
        }
        return try parse(response)
    }

    /// Where `routines service install --system` makes the daemon listen.
    static let systemSocket = "/run/routines/routines.sock"

    private func unreachable(_ code: Errno) -> CLIError {
        var hint = "is 'routines daemon' running?"
        if socketPath != Self.systemSocket && FileKind.exists(Self.systemSocket) {
            // A system service runs: say how to reach it rather than "is it running?".
            hint =
                "a system service listens on \(Self.systemSocket): add --socket \(Self.systemSocket) (as root or the routines user)"
        }
        return CLIError("cannot reach the daemon at \(socketPath): \(code) (\(hint))")
    }

    /// Whether `response` holds a head with a Content-Length and that many body bytes.
    static func isComplete(_ response: [UInt8]) -> Bool {
        guard let headerEnd = firstRange(of: [13, 10, 13, 10], in: response) else { return false }
        let head = String(decoding: response[0..<headerEnd], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            guard let length = Int(line.dropFirst(15).trimmingSpaces) else { return false }
            return response.count - headerEnd - 4 >= length
        }
        return false
    }

    /// Parses status line, headers and body (Content-Length, chunked, or until close).
    private func parse(_ response: [UInt8]) throws(CLIError) -> APIReply {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headerEnd = firstRange(of: separator, in: response) else {
            throw CLIError("the daemon at \(socketPath) sent an incomplete response")
        }
        let head = String(decoding: response[0..<headerEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw CLIError("the daemon at \(socketPath) sent a malformed response")
        }
        var chunked = false
        var length: Int?
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("transfer-encoding:") && lower.contains("chunked") { chunked = true }
            if lower.hasPrefix("content-length:") { length = Int(lower.dropFirst(15).trimmingSpaces) }
        }
        var body = Array(response[(headerEnd + 4)...])
        if chunked {
            body = dechunk(body)
        } else if let length {
            // Closed before the whole reply: an error, never a cut JSON printed as if it were all.
            guard length <= body.count else {
                throw CLIError(
                    "the daemon at \(socketPath) closed the connection after \(body.count) of the \(length) bytes of its reply"
                )
            }
            body = Array(body[0..<length])
        }
        return APIReply(status: status, body: body)
    }

    private func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = firstRange(of: [13, 10], in: Array(data[index...])) else { break }
            let sizeText = String(decoding: data[index..<(index + lineEnd)], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = index + lineEnd + 2
            guard start + size <= data.count else { break }
            out.append(contentsOf: data[start..<(start + size)])
            index = start + size + 2
        }
        return out
    }
}

private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if Array(haystack[start..<(start + needle.count)]) == needle { return start }
    }
    return nil
}

extension Substring {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " || $0 == "\r" }).reversed())
    }
}
