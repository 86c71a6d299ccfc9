#if canImport(Glibc)
    import Glibc
#endif

/// A response from the daemon's control API.
struct APIReply {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A small HTTP/1.1 client for the daemon's Unix socket; plain Glibc so `routines trigger` starts fast.
struct DaemonClient {
    /// The socket path, resolved as SPEC §2 says.
    let socketPath: String

    /// `--socket`, else `$ROUTINES_SOCKET`, else `$XDG_RUNTIME_DIR/routines.sock`, else `/tmp/routines-$UID.sock`.
    static func resolveSocket(_ explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let value = getenv("ROUTINES_SOCKET"), value.pointee != 0 { return String(cString: value) }
        if let value = getenv("XDG_RUNTIME_DIR"), value.pointee != 0 {
            return String(cString: value) + "/routines.sock"
        }
        return "/tmp/routines-\(getuid()).sock"
    }

    init(socket: String?) {
        socketPath = DaemonClient.resolveSocket(socket)
    }

    /// Sends one request and reads the whole response; errors are one line naming the socket.
    func request(_ method: String, _ path: String, body: [UInt8]? = nil) throws(CLIError) -> APIReply {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw unreachable(errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw CLIError("the socket path \(socketPath) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw unreachable(errno) }
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
        try sendAll(fd, request)
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CLIError(
                    "lost the connection to the daemon at \(socketPath): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return try parse(response)
    }

    /// Where `routines service install --system` makes the daemon listen.
    static let systemSocket = "/run/routines/routines.sock"

    private func unreachable(_ code: Int32) -> CLIError {
        var hint = "is 'routines daemon' running?"
        if socketPath != Self.systemSocket && access(Self.systemSocket, F_OK) == 0 {
            // A system service runs: say how to reach it rather than "is it running?".
            hint =
                "a system service listens on \(Self.systemSocket): add --socket \(Self.systemSocket) (as root or the routines user)"
        }
        return CLIError("cannot reach the daemon at \(socketPath): \(String(cString: strerror(code))) (\(hint))")
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(CLIError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw CLIError(
                    "lost the connection to the daemon at \(socketPath): \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
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
        } else if let length, length <= body.count {
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
