import NIOCore
import NIOHTTP1
import Synchronization

/// The connections of one listener that NIO has accepted and wrapped for async use but the accept loop
/// has not taken yet. NIO's rule: a wrapped channel must be closed through `executeThenClose` before
/// it is dropped, or its writer's deinit stops the process ("Deinited NIOAsyncWriter without calling
/// finish()", in release builds too). A connection can wait in the listener's stream when the accept
/// loop ends (shutdown while the cooperative pool is busy), and the stream drops what it holds when
/// its consumer is cancelled; this list keeps each connection until the loop takes it, or until
/// `closeAll` closes it as NIO requires.
final class AcceptedConnections: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private struct State: Sendable {
        var waiting: [ObjectIdentifier: Connection] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Wraps a connection NIO has just accepted (on its event loop) and keeps it; once the listener
    /// has closed, refuses (NIO then closes the channel, which nobody would serve).
    func wrap(_ channel: any Channel) throws -> Connection {
        try state.withLock { state in
            guard !state.closed else { throw ChannelError.ioOnClosedChannel }
            // Outbound half closure: finishing the writer shuts the socket's sending side down once
            // everything written has gone out (`ControlServer.serve` relies on it for `Connection: close`).
            let connection = try Connection(
                wrappingChannelSynchronously: channel,
                configuration: Connection.Configuration(isOutboundHalfClosureEnabled: true))
            state.waiting[ObjectIdentifier(channel)] = connection
            return connection
        }
    }

    /// The accept loop took the connection: it is served (and closed) by its task.
    func taken(_ connection: Connection) {
        _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// Closes every connection not taken, and any accepted later, as NIO requires.
    func closeAll() async {
        let left = state.withLock { state in
            state.closed = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for connection in left {
            try? await connection.executeThenClose { _, _ in }
        }
    }
}
