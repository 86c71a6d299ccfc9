import ControlAPI
import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RoutineModel
import ServiceLifecycle
import SystemIO

/// The control API: HTTP/1.1 + JSON on a Unix socket (mode 0600), and optionally on TCP with a
/// bearer token. Built on SwiftNIO's HTTP/1.1 codec directly: no timers run while no connection is
/// open. Each listener holds at most `limits.maxConnections` connections, each with deadlines
/// (`ConnectionGuard`).
public struct ControlServer: Service {
    public let socketPath: String
    public let tcp: (host: String, port: Int, token: String)?
    public let limits: ConnectionLimits
    let handler: any ControlAPIHandler
    let logger: Logger
    let ready: (@Sendable () async -> Void)?
    /// Awaited by each accept loop before it takes its first connection: lets a test hold the loop
    /// back, as a busy cooperative pool does, while NIO accepts connections.
    var beforeAccepting: @Sendable () async -> Void = {}

    public init(
        socketPath: String, tcp: (host: String, port: Int, token: String)? = nil, limits: ConnectionLimits = .init(),
        handler: any ControlAPIHandler, logger: Logger, ready: (@Sendable () async -> Void)? = nil
    ) {
        self.socketPath = socketPath
        self.tcp = tcp
        self.limits = limits
        self.handler = handler
        self.logger = logger
        self.ready = ready
    }

    /// Serves until the task is cancelled (or graceful shutdown); removes the socket file at the end.
    public func run() async throws {
        try Self.prepareSocketPath(socketPath)
        // One event loop for the listeners and every connection: accepting a connection and serving
        // it need no hand-off between loops (several thread switches per new connection otherwise).
        let group = GlobalExecutor.homeLoop
        // The socket is created 0600: no moment where another user could connect.
        let previousMask = FileSystem.setCreationMask(FilePermissions(rawValue: 0o177))
        let limits = self.limits
        let unixConnections = ConnectionRegistry(limit: limits.maxConnections)
        let unixAccepted = AcceptedConnections()
        let unixServer: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            unixServer = try await Self.bootstrap(group, registry: unixConnections, logger: logger).bind(
                unixDomainSocketPath: socketPath
            ) { channel in
                Self.configure(channel, limits: limits, registry: unixConnections, token: nil, accepted: unixAccepted)
            }
            FileSystem.setCreationMask(previousMask)
        } catch {
            FileSystem.setCreationMask(previousMask)
            throw ControlServerError("cannot listen on \(socketPath): \(error)")
        }
        defer { try? FileSystem.remove(socketPath) }
        let tcpServer: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>?
        let tcpAccepted = AcceptedConnections()
        if let tcp {
            let tcpConnections = ConnectionRegistry(limit: limits.maxConnections)
            do {
                tcpServer = try await Self.bootstrap(group, registry: tcpConnections, logger: logger).bind(
                    host: tcp.host, port: tcp.port
                ) { channel in
                    Self.configure(
                        channel, limits: limits, registry: tcpConnections, token: tcp.token, accepted: tcpAccepted)
                }
            } catch {
                // Clients may have connected to the socket already: close them as NIO requires.
                try? await unixServer.executeThenClose { _ in }
                await unixAccepted.closeAll()
                throw ControlServerError("cannot listen on \(tcp.host):\(tcp.port): \(error)")
            }
        } else {
            tcpServer = nil
        }
        logger.info(
            "control API listening on \(socketPath)\(tcp.map { " and \($0.host):\($0.port) (token required)" } ?? "")")
        await ready?()
        let handler = self.handler
        let logger = self.logger
        let beforeAccepting = self.beforeAccepting
        // Graceful shutdown cancels the accept loops and every open connection (a client keeping a
        // connection open must not hold the daemon up).
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    if let tcpServer {
                        group.addTask {
                            try await Self.accept(
                                tcpServer, accepted: tcpAccepted, handler: handler, tcp: true, logger: logger,
                                beforeAccepting: beforeAccepting)
                        }
                    }
                    try await Self.accept(
                        unixServer, accepted: unixAccepted, handler: handler, tcp: false, logger: logger,
                        beforeAccepting: beforeAccepting)
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
        unixServer.channel.close(promise: nil)
        tcpServer?.channel.close(promise: nil)
    }

    private static func bootstrap(
        _ group: any EventLoopGroup, registry: ConnectionRegistry, logger: Logger
    ) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptPause(registry: registry, report: { logger.warning("\($0)") }))
                }
            }
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
    }

    private static func configure(
        _ channel: any Channel, limits: ConnectionLimits, registry: ConnectionRegistry, token: String?,
        accepted: AcceptedConnections
    ) -> EventLoopFuture<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limits: limits, registry: registry, token: token))
            return try accepted.wrap(channel)
        }
    }

    /// Serves each accepted connection in a task of its own until the listener closes (or the task is
    /// cancelled); then closes the connections accepted but never taken (see `AcceptedConnections`).
    private static func accept(
        _ server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        accepted: AcceptedConnections, handler: any ControlAPIHandler, tcp: Bool, logger: Logger,
        beforeAccepting: @Sendable () async -> Void
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            do {
                try await server.executeThenClose { connections in
                    await beforeAccepting()
                    for try await connection in connections {
                        accepted.taken(connection)
                        // The connection's requests, the engine calls and the replies run on the
                        // channel's own event loop: no hand-off to a pool and back for each request.
                        group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.eventLoop)) {
                            do {
                                try await serve(connection, handler: handler, tcp: tcp)
                            } catch {
                                logger.debug("control connection ended: \(error)")
                            }
                        }
                    }
                }
            } catch {
                await accepted.closeAll()
                throw error
            }
            await accepted.closeAll()
        }
    }

    /// Reads requests from one connection (keep-alive) and answers each in order. The connection's
    /// `ConnectionGuard` has already checked the token, the body's size and the deadlines.
    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, handler: any ControlAPIHandler,
        tcp: Bool
    ) async throws {
        let peer = tcp ? connection.channel.remoteAddress?.ipAddress : nil
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var answeredLast = false
            for try await part in inbound {
                // After the reply to a `Connection: close` request nothing more is read or answered.
                if answeredLast { continue }
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let requestHead = head else { continue }
                    let response: APIResponse
                    if let request = APIRequest(
                        method: requestHead.method.rawValue, target: requestHead.uri, body: body,
                        source: source(requestHead.headers, tcp: tcp, peer: peer))
                    {
                        response = await handler.handle(request)
                    } else {
                        response = .error(
                            400, "malformed request target '\(InputLimits.cut(requestHead.uri, limit: 200))'")
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType + "; charset=utf-8")
                    headers.add(name: "Content-Length", value: String(response.body.count))
                    for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) {
                        headers.add(name: name, value: value)
                    }
                    let keepAlive = requestHead.isKeepAlive
                    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                    let status = HTTPResponseStatus(statusCode: response.status)
                    // One write of the three parts: one hand-off to the channel's event loop, one flush.
                    try await outbound.write(contentsOf: [
                        .head(HTTPResponseHead(version: requestHead.version, status: status, headers: headers)),
                        .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil),
                    ])
                    head = nil
                    if !keepAlive {
                        // Not `return`: executeThenClose closes the channel at once, which drops what the
                        // socket has not taken yet (a reply larger than its buffer, to a client that reads
                        // slower than we write: `routines history --limit 10000` printed a cut JSON).
                        // Finishing the writer shuts our sending side down once all of it is out; the
                        // channel closes when the client closes its end (or at the idle deadline).
                        outbound.finish()
                        answeredLast = true
                    }
                }
            }
        }
    }

    /// The request's source: the peer's address on TCP (whatever the headers claim), `cli` when the
    /// `routines` command calls on the socket, else `api`.
    static func source(_ headers: HTTPHeaders, tcp: Bool, peer: String?) -> String {
        if tcp { return peer.map { "api \($0)" } ?? "api" }
        return headers.first(name: "x-routines-client")?.lowercased() == "cli" ? "cli" : "api"
    }

    /// Replaces a stale socket file; refuses when another daemon answers on it.
    static func prepareSocketPath(_ path: String) throws {
        guard let kind = try? FileKind.of(path, followingLinks: false) else { return }
        guard kind == .socket else {
            throw ControlServerError("\(path) exists and is not a socket; remove it or choose another --socket")
        }
        if let address = try? UnixSocketAddress(path: path), let socket = try? UnixSocket.connected(to: address) {
            socket.close()
            throw ControlServerError("another routines daemon is already listening on \(path)")
        }
        try? FileSystem.remove(path)
    }
}

/// Runs the jobs of a task on one event loop (a task executor preference): a connection's task stays
/// on the thread that reads and writes its socket.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A control server start-up problem.
public struct ControlServerError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
