import BlueZMock
import Devices
import Engine
import Foundation
import Testing

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
            if case .connected(let device) = $0 {
                return device.address == address && (kind == nil || device.kind == kind)
            }
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
                && events.contains {
                    if case .unavailable(let reason) = $0 { return reason != nil }; return false
                }
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
            events.contains {
                if case .unavailable(let reason) = $0 { return reason?.contains("no system D-Bus") == true };
                return false
            }
        }
    }
}
