import FoundationEssentials
import SystemIO

/// `sd_notify` without libsystemd: datagrams to `$NOTIFY_SOCKET` (READY=1, STATUS=…, WATCHDOG=1,
/// STOPPING=1). Without the variable every call does nothing.
public struct SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half of `$WATCHDOG_USEC` when the watchdog is on for this process.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == ProcessInfo.processInfo.processIdentifier })
                ?? true
        {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `state` (e.g. "READY=1\nSTATUS=…"); returns whether it was sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath, let address = try? UnixSocketAddress.parse(socketPath),
            let socket = try? UnixSocket(.datagram)
        else { return false }
        defer { socket.close() }
        let message = Array(state.utf8)
        return (try? socket.send(message, to: address)) == message.count
    }
}
