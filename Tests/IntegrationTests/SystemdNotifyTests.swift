import Foundation
import Testing

/// `Type=notify`: READY=1 once serving, STATUS= lines, WATCHDOG=1 pings, STOPPING=1 on shutdown,
/// received on a datagram socket set as NOTIFY_SOCKET.
@Suite(.timeLimit(.minutes(1))) struct SystemdNotifyTests {
    /// A Unix datagram socket collecting notify messages.
    final class NotifySocket: @unchecked Sendable {
        // @unchecked: the fd is only read from the test's thread.
        let path: String
        let fd: Int32

        init(dir: String) throws {
            path = dir + "/notify.sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        /// Messages received until `condition` holds for them or `timeout` passes.
        func receive(until condition: ([String]) -> Bool, timeout: Double = 10) -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !condition(messages) && Date() < deadline {
                var pollfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pollfd, 1, 100) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0 { messages.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
            }
            return messages
        }

        deinit { close(fd) }
    }

    @Test func readyStatusWatchdogAndStopping() throws {
        let daemon = try DaemonProcess(routines: [
            "daily.json": #"{"triggers":[{"cron":"0 7 * * *"}],"actions":[{"wait":0}]}"#
        ])
        let notify = try NotifySocket(dir: daemon.dir.path)
        daemon.environment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"]
        try daemon.start()
        let messages = notify.receive(until: { $0.filter { $0.contains("WATCHDOG=1") }.count >= 2 })
        let ready = try #require(messages.first { $0.contains("READY=1") }, "\(messages)")
        #expect(ready.contains("STATUS=1 routines, headphone mode off, next: daily at "))
        // Pings at half of WATCHDOG_USEC, after the ready message.
        #expect(messages.filter { $0.contains("WATCHDOG=1") }.count >= 2)
        #expect(messages.firstIndex { $0.contains("READY=1") }! < messages.firstIndex { $0.contains("WATCHDOG=1") }!)
        daemon.stop()
        let after = notify.receive(until: { $0.contains { $0.contains("STOPPING=1") } }, timeout: 3)
        #expect(after.contains { $0.contains("STOPPING=1") })
    }

    /// Without NOTIFY_SOCKET notifying is a no-op and the daemon runs normally.
    @Test func runsNormallyWithoutNotifySocket() throws {
        let daemon = try DaemonProcess()
        daemon.environment = ["NOTIFY_SOCKET": ""]
        try daemon.start()
        #expect(try daemon.cli(["status"]).status == 0)
    }
}
