import Devices
import Engine
import Foundation
import Testing

/// A private D-Bus with python-dbusmock's BlueZ template (TESTING.md); killed at the end.
final class MockBlueZ {
    let dir: String
    let address: String
    var busPID: Int32 = 0
    var mock: Process?
    var hasAdapter = false

    init() throws {
        dir = NSTemporaryDirectory() + "routines-bluez-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        address = "unix:path=\(dir)/bus.sock"
        try startBus()
        try startMock()
    }

    func startBus() throws {
        // The forked bus keeps its standard output open: write it to a file, not a pipe.
        let pidFile = dir + "/bus.pid"
        _ = FileManager.default.createFile(atPath: pidFile, contents: nil)
        // Foundation's Process waits for the forked daemon too; a plain shell call returns when the
        // parent has forked.
        let status = system("/usr/bin/dbus-daemon --session --address='\(address)' --fork --print-pid=1 > '\(pidFile)' 2>/dev/null")
        guard status == 0 else { throw MockError(message: "dbus-daemon failed to start (\(status))") }
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                busPID = pid
                return
            }
            usleep(10_000)
        }
        throw MockError(message: "dbus-daemon did not start")
    }

    func startMock() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "dbusmock", "--template", "bluez5"]
        process.environment = ProcessInfo.processInfo.environment.merging(["DBUS_SYSTEM_BUS_ADDRESS": address]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        mock = process
        hasAdapter = false
        // Wait until the mock answers on the bus.
        for _ in 0..<200 {
            if (try? gdbus(["--dest", "org.bluez", "--object-path", "/", "--method", "org.freedesktop.DBus.ObjectManager.GetManagedObjects"])) != nil {
                return
            }
            usleep(25_000)
        }
        throw MockError(message: "the BlueZ mock did not appear on the bus")
    }

    func killMock() {
        if let mock, mock.isRunning {
            kill(mock.processIdentifier, SIGKILL)
            mock.waitUntilExit()
        }
        mock = nil
    }

    struct MockError: Error { var message: String }

    @discardableResult
    func gdbus(_ arguments: [String]) throws -> String {
        let output = try Self.run(
            "/usr/bin/gdbus", ["call", "--system"] + arguments, environment: ["DBUS_SYSTEM_BUS_ADDRESS": address])
        return output
    }

    func mockCall(_ method: String, _ args: [String]) throws {
        try gdbus(["--dest", "org.bluez", "--object-path", "/org/bluez", "--method", "org.bluez.Mock.\(method)"] + args)
    }

    /// Adds hci0 and a device; `headphones` makes it look like headphones (Icon and A2DP sink UUID).
    func addDevice(_ address: String, _ name: String, headphones: Bool) throws {
        if !hasAdapter {
            try mockCall("AddAdapter", ["hci0", "host"])
            hasAdapter = true
        }
        try mockCall("AddDevice", ["hci0", address, name])
        if headphones {
            let path = "/org/bluez/hci0/dev_" + address.replacingOccurrences(of: ":", with: "_")
            try gdbus([
                "--dest", "org.bluez", "--object-path", path, "--method", "org.freedesktop.DBus.Mock.UpdateProperties",
                "org.bluez.Device1", #"{"Icon": <"audio-headphones">, "UUIDs": <["0000110b-0000-1000-8000-00805f9b34fb"]>}"#,
            ])
        }
    }

    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MockError(message: "\(path) \(arguments) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    deinit {
        killMock()
        if busPID > 0 { kill(busPID, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// Collects watcher events.
actor EventLog {
    var events: [DeviceEvent] = []
    func add(_ event: DeviceEvent) { events.append(event) }
}

/// Waits until `condition` holds on the collected events (10 s at most).
func waitFor(_ log: EventLog, _ what: String, _ condition: @escaping ([DeviceEvent]) -> Bool) async throws {
    for _ in 0..<400 {
        if condition(await log.events) { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("timed out waiting for \(what); events: \(await log.events)")
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct BlueZWatcherTests {
    static func collect(_ watcher: BlueZWatcher) -> (EventLog, Task<Void, Never>) {
        let log = EventLog()
        let task = Task {
            for await event in watcher.events { await log.add(event) }
        }
        return (log, task)
    }

    static func isConnected(_ events: [DeviceEvent], _ address: String, kind: DeviceKind? = nil) -> Bool {
        events.contains {
            if case .connected(let device) = $0 { return device.address == address && (kind == nil || device.kind == kind) }
            return false
        }
    }

    static func isDisconnected(_ events: [DeviceEvent], _ address: String) -> Bool {
        events.contains {
            if case .disconnected(let device) = $0 { return device.address == address }
            return false
        }
    }

    @Test func headphonesConnectAndDisconnect() async throws {
        let bluez = try MockBlueZ()
        let watcher = BlueZWatcher(address: bluez.address)
        defer { watcher.stop() }
        let (log, task) = Self.collect(watcher)
        defer { task.cancel() }
        try bluez.addDevice("11:22:33:44:55:66", "Test Headphones", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:66"])
        try await waitFor(log, "headphones connected") { Self.isConnected($0, "11:22:33:44:55:66", kind: .headphones) }
        let connected = await log.events.compactMap { event -> DeviceInfo? in
            if case .connected(let device) = event { return device }
            return nil
        }
        #expect(connected.first?.name == "Test Headphones")
        try bluez.mockCall("DisconnectDevice", ["hci0", "11:22:33:44:55:66"])
        try await waitFor(log, "headphones disconnected") { Self.isDisconnected($0, "11:22:33:44:55:66") }
    }

    @Test func aPhoneIsOther() async throws {
        let bluez = try MockBlueZ()
        let watcher = BlueZWatcher(address: bluez.address)
        defer { watcher.stop() }
        let (log, task) = Self.collect(watcher)
        defer { task.cancel() }
        try bluez.addDevice("AA:BB:CC:00:11:22", "Phone", headphones: false)
        try bluez.mockCall("ConnectDevice", ["hci0", "AA:BB:CC:00:11:22"])
        try await waitFor(log, "phone connected") { Self.isConnected($0, "AA:BB:CC:00:11:22", kind: .other) }
    }

    @Test func aDeviceConnectedBeforeStartIsSeenAtStart() async throws {
        let bluez = try MockBlueZ()
        try bluez.addDevice("11:22:33:44:55:77", "Early Buds", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:77"])
        let watcher = BlueZWatcher(address: bluez.address)
        defer { watcher.stop() }
        let (log, task) = Self.collect(watcher)
        defer { task.cancel() }
        try await waitFor(log, "early device reported") { Self.isConnected($0, "11:22:33:44:55:77", kind: .headphones) }
    }

    @Test func recoversWhenBlueZRestarts() async throws {
        let bluez = try MockBlueZ()
        let watcher = BlueZWatcher(address: bluez.address)
        defer { watcher.stop() }
        let (log, task) = Self.collect(watcher)
        defer { task.cancel() }
        try bluez.addDevice("11:22:33:44:55:88", "Buds", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:88"])
        try await waitFor(log, "connected") { Self.isConnected($0, "11:22:33:44:55:88") }
        bluez.killMock()
        try await waitFor(log, "disconnected when BlueZ left") { Self.isDisconnected($0, "11:22:33:44:55:88") }
        try bluez.startMock()
        try bluez.addDevice("11:22:33:44:55:99", "Buds 2", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:99"])
        try await waitFor(log, "events after BlueZ came back") { Self.isConnected($0, "11:22:33:44:55:99") }
    }

    @Test func recoversWhenTheBusItselfRestarts() async throws {
        let bluez = try MockBlueZ()
        let watcher = BlueZWatcher(address: bluez.address)
        defer { watcher.stop() }
        let (log, task) = Self.collect(watcher)
        defer { task.cancel() }
        try bluez.addDevice("11:22:33:44:55:AA", "Buds", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:AA"])
        try await waitFor(log, "connected") { Self.isConnected($0, "11:22:33:44:55:AA") }
        // The bus goes away (and the mock with it), then both come back at the same address.
        bluez.killMock()
        kill(bluez.busPID, SIGKILL)
        try await waitFor(log, "lost and reported") { events in
            Self.isDisconnected(events, "11:22:33:44:55:AA")
                && events.contains { if case .unavailable(let reason) = $0 { return reason != nil }; return false }
        }
        unlink(bluez.dir + "/bus.sock")
        try bluez.startBus()
        try bluez.startMock()
        try bluez.addDevice("11:22:33:44:55:BB", "Buds 2", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:BB"])
        try await waitFor(log, "events after the bus came back") { Self.isConnected($0, "11:22:33:44:55:BB") }
    }

    @Test func noBusIsReportedNotFatal() async throws {
        let watcher = BlueZWatcher(address: "unix:path=/nonexistent/routines-test-bus.sock")
        defer { watcher.stop() }
        let (log, task) = Self.collect(watcher)
        defer { task.cancel() }
        try await waitFor(log, "no-bus report") { events in
            events.contains { if case .unavailable(let reason) = $0 { return reason?.contains("no system D-Bus") == true }; return false }
        }
    }
}
