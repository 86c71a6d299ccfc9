import Foundation
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RoutineModel
import ServiceLifecycle

/// One HTTP request to the control API, already split into path segments and query.
public struct APIRequest: Sendable {
    public var method: String
    /// Percent-decoded path segments: `/routines/good-morning/trigger` → ["routines", "good-morning", "trigger"].
    public var segments: [String]
    public var query: [String: String]
    public var body: [UInt8]

    public init(method: String, segments: [String], query: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.segments = segments
        self.query = query
        self.body = body
    }
}

/// A reply: status, content type and body.
public struct APIResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A JSON body from text.
    public static func json(_ status: Int, _ text: String) -> APIResponse {
        APIResponse(status: status, body: Array((text + "\n").utf8))
    }

    /// `{"error": MESSAGE}` with the status.
    public static func error(_ status: Int, _ message: String) -> APIResponse {
        json(status, "{\"error\":\(JSONText.string(message))}")
    }
}

/// Answers control API requests (implemented against the engine by `EngineAPI`).
public protocol ControlAPIHandler: Sendable {
    func handle(_ request: APIRequest) async -> APIResponse
}

/// The control API: HTTP/1.1 + JSON on a Unix socket (mode 0600), and optionally on TCP with a
/// bearer token. Built on SwiftNIO's HTTP/1.1 codec directly: no timers run while nothing is asked.
public struct ControlServer: Service {
    /// Largest request body accepted (413 beyond).
    public static let maxBody = 64 * 1024

    public let socketPath: String
    public let tcp: (host: String, port: Int, token: String)?
    let handler: any ControlAPIHandler
    let logger: Logger
    let ready: (@Sendable () -> Void)?

    public init(
        socketPath: String, tcp: (host: String, port: Int, token: String)? = nil, handler: any ControlAPIHandler,
        logger: Logger, ready: (@Sendable () -> Void)? = nil
    ) {
        self.socketPath = socketPath
        self.tcp = tcp
        self.handler = handler
        self.logger = logger
        self.ready = ready
    }

    /// Serves until the task is cancelled (or graceful shutdown); removes the socket file at the end.
    public func run() async throws {
        try Self.prepareSocketPath(socketPath)
        let group = MultiThreadedEventLoopGroup.singleton
        // The socket is created 0600: no moment where another user could connect.
        let previousMask = umask(0o177)
        let unixServer: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            unixServer = try await Self.bootstrap(group).bind(unixDomainSocketPath: socketPath) { channel in
                Self.configure(channel)
            }
            umask(previousMask)
        } catch {
            umask(previousMask)
            throw ControlServerError("cannot listen on \(socketPath): \(error)")
        }
        defer { unlink(socketPath) }
        let tcpServer: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>?
        if let tcp {
            do {
                tcpServer = try await Self.bootstrap(group).bind(host: tcp.host, port: tcp.port) { channel in
                    Self.configure(channel)
                }
            } catch {
                throw ControlServerError("cannot listen on \(tcp.host):\(tcp.port): \(error)")
            }
        } else {
            tcpServer = nil
        }
        logger.info("control API listening on \(socketPath)\(tcp.map { " and \($0.host):\($0.port) (token required)" } ?? "")")
        ready?()
        let handler = self.handler
        let logger = self.logger
        let token = tcp?.token
        // Graceful shutdown cancels the accept loops and every open connection (a client keeping a
        // connection open must not hold the daemon up).
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    if let tcpServer {
                        group.addTask {
                            try await Self.accept(tcpServer, handler: handler, token: token, logger: logger)
                        }
                    }
                    try await Self.accept(unixServer, handler: handler, token: nil, logger: logger)
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
        unixServer.channel.close(promise: nil)
        tcpServer?.channel.close(promise: nil)
    }

    private static func bootstrap(_ group: MultiThreadedEventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
    }

    private static func configure(_ channel: any Channel) -> EventLoopFuture<
        NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    > {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                wrappingChannelSynchronously: channel)
        }
    }

    private static func accept(
        _ server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        handler: any ControlAPIHandler, token: String?, logger: Logger
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask {
                        do {
                            try await serve(connection, handler: handler, token: token)
                        } catch {
                            logger.debug("control connection ended: \(error)")
                        }
                    }
                }
            }
        }
    }

    /// Reads requests from one connection (keep-alive) and answers each in order.
    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        handler: any ControlAPIHandler, token: String?
    ) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                    tooLarge = false
                    if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
                        length > maxBody
                    {
                        tooLarge = true
                    }
                case .body(let buffer):
                    if body.count + buffer.readableBytes > maxBody {
                        tooLarge = true
                    } else if !tooLarge {
                        body.append(contentsOf: buffer.readableBytesView)
                    }
                case .end:
                    guard let requestHead = head else { continue }
                    let response: APIResponse
                    if tooLarge {
                        response = .error(413, "request body larger than \(maxBody / 1024) KiB")
                    } else if let token, !authorized(requestHead.headers, token: token) {
                        response = .error(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)")
                    } else if let request = parse(requestHead, body: body) {
                        response = await handler.handle(request)
                    } else {
                        response = .error(400, "malformed request target '\(requestHead.uri)'")
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType + "; charset=utf-8")
                    headers.add(name: "Content-Length", value: String(response.body.count))
                    let keepAlive = requestHead.isKeepAlive && !tooLarge
                    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                    let status = HTTPResponseStatus(statusCode: response.status)
                    try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                    head = nil
                    if !keepAlive { return }
                }
            }
        }
    }

    /// Constant-time comparison of the bearer token.
    static func authorized(_ headers: HTTPHeaders, token: String) -> Bool {
        guard let value = headers.first(name: "authorization"), value.hasPrefix("Bearer ") else { return false }
        let given = Array(value.dropFirst(7).utf8)
        let expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }

    /// Splits the target into decoded segments and query.
    static func parse(_ head: HTTPRequestHead, body: [UInt8]) -> APIRequest? {
        let target = head.uri
        guard target.hasPrefix("/") else { return nil }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var segments: [String] = []
        for raw in parts[0].split(separator: "/") {
            guard let decoded = percentDecode(String(raw)) else { return nil }
            segments.append(decoded)
        }
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = percentDecode(String(kv[0])), let value = percentDecode(kv.count > 1 ? String(kv[1]) : "")
                else { return nil }
                query[key] = value
            }
        }
        return APIRequest(method: head.method.rawValue, segments: segments, query: query, body: body)
    }

    static func percentDecode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Replaces a stale socket file; refuses when another daemon answers on it.
    static func prepareSocketPath(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ControlServerError("\(path) exists and is not a socket; remove it or choose another --socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 {
            throw ControlServerError("another routines daemon is already listening on \(path)")
        }
        unlink(path)
    }
}

/// A control server start-up problem.
public struct ControlServerError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
