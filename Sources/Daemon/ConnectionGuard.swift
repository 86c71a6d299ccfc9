import ControlAPI
import NIOCore
import NIOHTTP1
import Synchronization
import SystemIO

/// Bounds on the control API's connections (SPEC §10, Limits): how many may be open on each listener,
/// how long a request's head and body may take to arrive, how long a kept-alive connection may sit
/// idle, and the largest body.
public struct ConnectionLimits: Sendable, Equatable {
    /// Open connections per listener (the Unix socket and the TCP listener each); `api.maxConnections`.
    public var maxConnections: Int
    /// From the connection (or the previous response) to a request's complete head, while no request
    /// has started on a fresh connection.
    public var headTimeout: Duration
    /// From a request's head to the end of its body.
    public var bodyTimeout: Duration
    /// A kept-alive connection with no request.
    public var idleTimeout: Duration
    /// Largest request body (413 beyond, without reading it).
    public var maxBody: Int
    /// How long a refused request's connection stays half-closed (so the client reads the answer
    /// before the connection is reset) before it is closed.
    public var linger: Duration

    public static let defaultMaxConnections = 64

    public init(
        maxConnections: Int = defaultMaxConnections, headTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), maxBody: Int = 64 * 1024,
        linger: Duration = .seconds(1)
    ) {
        self.maxConnections = maxConnections
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxBody = maxBody
        self.linger = linger
    }
}

/// The open connections of one listener. When a new connection would exceed the cap, the connection
/// that has waited longest for a request is closed to make room (an idle client loses its slot,
/// never one whose request is being answered); when every connection is busy, the new one is
/// closed at once. So idle connections can never lock `routines status` out.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        /// When the connection started waiting for a request; nil while a request is answered.
        var idleSince: NIODeadline?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { entries.withLock { $0.count } }

    /// Registers a new (idle) connection; false when it must be closed because all are busy.
    func admit(_ channel: any Channel) -> Bool {
        let (admitted, victim) = entries.withLock { entries -> (Bool, (any Channel)?) in
            var victim: (any Channel)?
            if entries.count >= limit {
                let idle = entries.compactMap { key, entry in entry.idleSince.map { (key, entry.channel, $0) } }
                guard let oldest = idle.min(by: { $0.2 < $1.2 }) else { return (false, nil) }
                victim = oldest.1
                entries[oldest.0] = nil
            }
            entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: .now())
            return (true, victim)
        }
        victim?.close(promise: nil)
        return admitted
    }

    /// Closes up to `count` of the connections idle longest (to free descriptors); returns how many.
    func shed(_ count: Int) -> Int {
        let victims = entries.withLock { entries -> [any Channel] in
            let idle = entries.compactMap { key, entry in entry.idleSince.map { (key, entry.channel, $0) } }
            let oldest = idle.sorted { $0.2 < $1.2 }.prefix(count)
            for victim in oldest { entries[victim.0] = nil }
            return oldest.map(\.1)
        }
        for victim in victims { victim.close(promise: nil) }
        return victims.count
    }

    func setIdle(_ channel: any Channel, _ idle: Bool) {
        entries.withLock { $0[ObjectIdentifier(channel)]?.idleSince = idle ? .now() : nil }
    }

    func remove(_ channel: any Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// Guards one control API connection, between NIO's HTTP/1.1 codec and the request handler: applies
/// the deadlines, checks the bearer token on the head before any body is read, and answers 413 for an
/// oversized body without reading it (the connection is half-closed, then closed).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase {
        /// Waiting for a request's head (fresh or kept-alive connection).
        case waiting
        /// Head received and passed on; receiving the body.
        case body(received: Int)
        /// Request passed on completely; the response is being written.
        case answering
        /// Refused: nothing more is read or passed on.
        case refused
    }

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    private let token: String?
    private var phase = Phase.waiting
    private var deadline: Scheduled<Void>?
    private var requests = 0

    init(limits: ConnectionLimits, registry: ConnectionRegistry, token: String?) {
        self.limits = limits
        self.registry = registry
        self.token = token
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard registry.admit(context.channel) else {
            phase = .refused
            context.close(promise: nil)
            return
        }
        arm(context, limits.headTimeout)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        registry.remove(context.channel)
    }

    /// Closes the connection when `amount` passes before the next step.
    private func arm(_ context: ChannelHandlerContext, _ amount: Duration) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(amount)) { [weak self] in
            self?.deadline = nil
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (phase, part) {
        case (.refused, _):
            return
        case (.waiting, .head(let head)):
            requests += 1
            registry.setIdle(context.channel, false)
            if let token, !BearerToken.matches(head.headers.first(name: "authorization"), token: token) {
                refuse(context, head, 401, "missing or wrong bearer token (Authorization: Bearer TOKEN)")
                return
            }
            if let length = head.headers.first(name: "content-length") {
                guard let value = Int(length), value >= 0 else {
                    refuse(context, head, 400, "malformed Content-Length")
                    return
                }
                if value > limits.maxBody {
                    refuse(context, head, 413, "request body larger than \(limits.maxBody / 1024) KiB")
                    return
                }
            }
            phase = .body(received: 0)
            arm(context, limits.bodyTimeout)
            context.fireChannelRead(data)
        case (.body(let received), .body(let buffer)):
            let total = received + buffer.readableBytes
            if total > limits.maxBody {
                refuse(context, nil, 413, "request body larger than \(limits.maxBody / 1024) KiB")
                return
            }
            phase = .body(received: total)
            context.fireChannelRead(data)
        case (.body, .end):
            deadline?.cancel()
            deadline = nil
            phase = .answering
            context.fireChannelRead(data)
        default:
            // Parts out of order cannot come from NIO's decoder; pass them on unchanged.
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), case .answering = phase {
            phase = .waiting
            registry.setIdle(context.channel, true)
            arm(context, limits.idleTimeout)
        }
        context.write(data, promise: promise)
    }

    /// Answers `status` at once, reads nothing more, half-closes, and closes after the linger time.
    private func refuse(_ context: ChannelHandlerContext, _ head: HTTPRequestHead?, _ status: Int, _ message: String) {
        phase = .refused
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let response = APIResponse.error(status, message)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType + "; charset=utf-8")
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: "close")
        let responseHead = HTTPResponseHead(
            version: head?.version ?? .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        arm(context, limits.linger)
        written.futureResult.assumeIsolated().whenSuccess {
            context.close(mode: .output, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.fireErrorCaught(error)
    }
}

/// On a listening channel: when `accept` fails for lack of descriptors (EMFILE, ENFILE) or memory,
/// stops accepting for a while instead of retrying at once. (NIO's own backoff does not take effect
/// when the very first accept of a wake-up fails: the listener stays readable and the event loop
/// spins at full CPU.) Idle connections of the listener are closed first to free descriptors, so a
/// waiting client such as `routines status` gets in.
final class AcceptPause: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let registry: ConnectionRegistry
    private let report: @Sendable (String) -> Void
    private var backoff: TimeAmount = .zero
    private var paused = false

    init(registry: ConnectionRegistry, report: @escaping @Sendable (String) -> Void) {
        self.registry = registry
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        backoff = .zero
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let exhausted: [Errno] = [.tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace, .noMemory]
        guard let error = error as? IOError, exhausted.contains(Errno(rawValue: error.errnoCode)) else {
            context.fireErrorCaught(error)
            return
        }
        guard !paused else { return }
        paused = true
        let shed = registry.shed(16)
        // Freed descriptors: try again almost at once; else wait, doubling up to 1 s.
        let delay: TimeAmount = shed > 0 ? .milliseconds(1) : min(.seconds(1), max(.milliseconds(100), backoff * 2))
        if shed == 0 {
            if backoff == .zero {
                report(
                    "control API: accept failed (\(error.description)); accepting again in \(delay.nanoseconds / 1_000_000) ms, backing off up to 1 s"
                )
            }
            backoff = delay
        }
        let channel = context.channel
        _ = channel.setOption(ChannelOptions.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.paused = false
            _ = channel.setOption(ChannelOptions.autoRead, value: true)
        }
    }
}
