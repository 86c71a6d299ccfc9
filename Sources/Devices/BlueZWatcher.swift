import CSystemd
import Engine
import FoundationEssentials
import SystemIO
import ThreadExecutor

/// What the watcher reports.
public enum DeviceEvent: Sendable, Equatable {
    case connected(DeviceInfo)
    case disconnected(DeviceInfo)
    /// The bus or BlueZ is not there (the reason), or is back (nil); said once per change.
    case unavailable(String?)
}

/// Follows BlueZ over the system D-Bus (sd-bus) on a thread of its own: devices connected at
/// start (`GetManagedObjects`), then `InterfacesAdded`/`InterfacesRemoved` and `PropertiesChanged`
/// of `org.bluez.Device1`. When the bus or BlueZ goes away it says so once and reconnects with a
/// growing wait (1 s doubling to 30 s); a machine without a system bus is not an error.
public final class BlueZWatcher: Sendable {
    public let events: AsyncStream<DeviceEvent>
    private let continuation: AsyncStream<DeviceEvent>.Continuation
    private let wake: EventFD?

    /// `address`: a D-Bus address (tests); nil: the system bus (honours DBUS_SYSTEM_BUS_ADDRESS).
    public init(address: String? = nil) {
        (events, continuation) = AsyncStream.makeStream(of: DeviceEvent.self)
        let wake: EventFD
        do {
            wake = try EventFD()
        } catch {
            // Out of descriptors at start-up: no device events, said once like a missing bus.
            self.wake = nil
            continuation.yield(.unavailable("\(error); Bluetooth device events are off"))
            continuation.finish()
            return
        }
        self.wake = wake
        // The loop is the thread's one job (it blocks in sd-bus and poll); the thread ends with it.
        DedicatedThreadExecutor.spawn(name: "routines-bluez", stackSize: 512 * 1024) { [continuation] in
            BlueZLoop(address: address, wake: wake, emit: { continuation.yield($0) }).run()
            continuation.finish()
        }
    }

    /// Stops the watcher thread; the event stream finishes.
    public func stop() {
        try? wake?.signal()
    }
}

/// One device as last seen.
struct DeviceState {
    var address = ""
    var name = ""
    var icon: String?
    var deviceClass: UInt32?
    var uuids: [String] = []
    var connected = false

    var info: DeviceInfo {
        DeviceInfo(
            address: address, name: name,
            kind: DeviceClassifier.kind(icon: icon, deviceClass: deviceClass, uuids: uuids))
    }
}

/// The watcher thread's state; the sd-bus handle never leaves this class or its thread.
final class BlueZLoop {
    let address: String?
    let wake: EventFD
    let emit: (DeviceEvent) -> Void
    var devices: [String: DeviceState] = [:]
    var unavailableSaid: String?

    init(address: String?, wake: EventFD, emit: @escaping (DeviceEvent) -> Void) {
        self.address = address
        self.wake = wake
        self.emit = emit
    }

    func run() {
        var backoff = 1.0
        while true {
            let reason = session()
            if reason == nil { return }  // stopped
            // Lost: everything that was connected is gone for us.
            for (path, device) in devices where device.connected {
                emit(.disconnected(device.info))
                devices[path]?.connected = false
            }
            devices = [:]
            if unavailableSaid != reason {
                unavailableSaid = reason
                emit(.unavailable(reason))
            }
            if waitForBus(seconds: backoff) { return }
            backoff = min(30, backoff * 2)
        }
    }

    /// The bus socket's path: the system bus's (or DBUS_SYSTEM_BUS_ADDRESS's), or the test address's
    /// `unix:path=`; nil for other kinds of address.
    var socketPath: String? {
        let text =
            address ?? ProcessInfo.processInfo.environment["DBUS_SYSTEM_BUS_ADDRESS"]
            ?? "unix:path=/run/dbus/system_bus_socket"
        guard let range = text.firstRange(of: "unix:path=") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "," && $0 != ";" })
    }

    /// Waits before the next connection attempt; true when asked to stop. While the bus socket does
    /// not exist, waits for it to appear (inotify on its folder) instead of waking on a timer, so a
    /// machine without D-Bus costs no wake-ups; otherwise waits `seconds`.
    func waitForBus(seconds: Double) -> Bool {
        guard let path = socketPath, !FileKind.exists(path) else { return waitForWake(seconds: seconds) }
        let folder = FileKind.folder(of: path)
        guard let watch = try? Inotify() else { return waitForWake(seconds: seconds) }
        defer { watch.close() }
        guard (try? watch.watch(folder, for: [.created, .movedIn])) != nil else {
            return waitForWake(seconds: seconds)  // no folder to watch: try again later
        }
        // It may have appeared between the failed attempt and the watch.
        if FileKind.exists(path) { return false }
        while true {
            guard let ready = try? Poll.wait([(wake.descriptor, .readable), (watch.descriptor, .readable)]) else {
                return waitForWake(seconds: seconds)
            }
            if ready[0] != [] { return true }
            guard (try? watch.read()) != nil else { continue }
            if FileKind.exists(path) {
                // The bus creates its socket, then listens: give it a moment before connecting.
                return waitForWake(seconds: 0.1)
            }
        }
    }

    /// Waits on the wake fd; true when asked to stop.
    func waitForWake(seconds: Double) -> Bool {
        let ready = try? Poll.wait([(wake.descriptor, .readable)], timeoutMilliseconds: Int32(seconds * 1000))
        return ready.map { $0 != [[]] } ?? false
    }

    /// One connection to the bus; returns the reason it ended, or nil when stopped.
    func session() -> String? {
        var bus: OpaquePointer?
        let opened = address.map { routines_bus_open($0, &bus) } ?? routines_bus_open(nil, &bus)
        guard opened >= 0, let bus else {
            return
                "no system D-Bus (\(Errno(rawValue: -opened))); Bluetooth device events are off until it appears"
        }
        defer { sd_bus_flush_close_unref(bus) }
        let matches = [
            "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.bluez'",
            "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded'",
            "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesRemoved'",
            "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',arg0='org.bluez.Device1'",
        ]
        for match in matches where routines_bus_add_match(bus, match) < 0 {
            return "cannot watch BlueZ signals on the bus"
        }
        loadManagedObjects(bus)
        while true {
            var message: OpaquePointer?
            let processed = sd_bus_process(bus, &message)
            if processed < 0 {
                return "the D-Bus connection was lost (\(Errno(rawValue: -processed)))"
            }
            if let message {
                handle(message, bus: bus)
                sd_bus_message_unref(message)
            }
            if processed > 0 { continue }
            let busEvents = PollEvents(rawValue: Int16(truncatingIfNeeded: sd_bus_get_events(bus)))
            let busSocket = FileDescriptor(rawValue: sd_bus_get_fd(bus))
            guard let ready = try? Poll.wait([(busSocket, busEvents), (wake.descriptor, .readable)]) else {
                return "poll failed"
            }
            if ready[1] != [] { return nil }
        }
    }

    /// Reads the devices BlueZ knows now; connected ones are reported.
    func loadManagedObjects(_ bus: OpaquePointer) {
        var reply: OpaquePointer?
        guard
            routines_bus_call0(bus, "org.bluez", "/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &reply)
                >= 0,
            let reply
        else {
            if unavailableSaid == nil {
                unavailableSaid = "BlueZ is not running"
                emit(.unavailable("BlueZ (org.bluez) is not on the system bus; waiting for it"))
            }
            return
        }
        defer { sd_bus_message_unref(reply) }
        if unavailableSaid != nil {
            unavailableSaid = nil
            emit(.unavailable(nil))
        }
        guard sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "a")), "{oa{sa{sv}}}") > 0 else { return }
        while sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "e")), "oa{sa{sv}}") > 0 {
            if let path = routines_bus_read_string(reply, CChar(UInt8(ascii: "o"))).map({ String(cString: $0) }) {
                readInterfaces(reply, path: path)
            }
            sd_bus_message_exit_container(reply)
        }
        sd_bus_message_exit_container(reply)
    }

    /// Reads `a{sa{sv}}`, updating the device at `path` from its org.bluez.Device1 properties.
    func readInterfaces(_ m: OpaquePointer, path: String) {
        guard sd_bus_message_enter_container(m, CChar(UInt8(ascii: "a")), "{sa{sv}}") > 0 else { return }
        while sd_bus_message_enter_container(m, CChar(UInt8(ascii: "e")), "sa{sv}") > 0 {
            let interface = routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) }
            if interface == "org.bluez.Device1" {
                var device = devices[path] ?? DeviceState()
                let wasConnected = device.connected
                readProperties(m, into: &device)
                devices[path] = device
                report(old: wasConnected, device)
            } else {
                sd_bus_message_skip(m, "a{sv}")
            }
            sd_bus_message_exit_container(m)
        }
        sd_bus_message_exit_container(m)
    }

    /// Reads `a{sv}` properties of org.bluez.Device1.
    func readProperties(_ m: OpaquePointer, into device: inout DeviceState) {
        guard sd_bus_message_enter_container(m, CChar(UInt8(ascii: "a")), "{sv}") > 0 else { return }
        while sd_bus_message_enter_container(m, CChar(UInt8(ascii: "e")), "sv") > 0 {
            let name = routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) } ?? ""
            guard let contents = routines_bus_peek_variant(m).map({ String(cString: $0) }) else {
                sd_bus_message_exit_container(m)
                continue
            }
            sd_bus_message_enter_container(m, CChar(UInt8(ascii: "v")), contents)
            switch (name, contents) {
            case ("Address", "s"):
                device.address =
                    (routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) } ?? "")
                    .uppercased()
            case ("Alias", "s"):
                device.name =
                    routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) } ?? device.name
            case ("Name", "s"):
                let value = routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) } ?? ""
                if device.name.isEmpty { device.name = value }
            case ("Icon", "s"):
                device.icon = routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) }
            case ("Class", "u"):
                var value: UInt32 = 0
                if routines_bus_read_u32(m, &value) >= 0 { device.deviceClass = value }
            case ("Connected", "b"):
                var value: Int32 = 0
                if routines_bus_read_bool(m, &value) >= 0 { device.connected = value != 0 }
            case ("UUIDs", "as"):
                var uuids: [String] = []
                if sd_bus_message_enter_container(m, CChar(UInt8(ascii: "a")), "s") > 0 {
                    while let value = routines_bus_read_string(m, CChar(UInt8(ascii: "s"))) {
                        uuids.append(String(cString: value))
                    }
                    sd_bus_message_exit_container(m)
                }
                device.uuids = uuids
            default:
                sd_bus_message_skip(m, contents)
            }
            sd_bus_message_exit_container(m)
            sd_bus_message_exit_container(m)
        }
        sd_bus_message_exit_container(m)
    }

    func report(old: Bool, _ device: DeviceState) {
        guard old != device.connected, !device.address.isEmpty else { return }
        emit(device.connected ? .connected(device.info) : .disconnected(device.info))
    }

    func handle(_ m: OpaquePointer, bus: OpaquePointer) {
        if sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties", "PropertiesChanged") > 0 {
            guard let path = sd_bus_message_get_path(m).map({ String(cString: $0) }),
                routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map({ String(cString: $0) })
                    == "org.bluez.Device1"
            else { return }
            var device = devices[path] ?? DeviceState()
            let wasConnected = device.connected
            readProperties(m, into: &device)
            devices[path] = device
            report(old: wasConnected, device)
        } else if sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded") > 0 {
            guard let path = routines_bus_read_string(m, CChar(UInt8(ascii: "o"))).map({ String(cString: $0) }) else {
                return
            }
            readInterfaces(m, path: path)
        } else if sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved") > 0 {
            guard let path = routines_bus_read_string(m, CChar(UInt8(ascii: "o"))).map({ String(cString: $0) }),
                let device = devices.removeValue(forKey: path)
            else { return }
            if device.connected { emit(.disconnected(device.info)) }
        } else if sd_bus_message_is_signal(m, "org.freedesktop.DBus", "NameOwnerChanged") > 0 {
            _ = routines_bus_read_string(m, CChar(UInt8(ascii: "s")))
            _ = routines_bus_read_string(m, CChar(UInt8(ascii: "s")))
            let newOwner = routines_bus_read_string(m, CChar(UInt8(ascii: "s"))).map { String(cString: $0) } ?? ""
            if newOwner.isEmpty {
                for (path, device) in devices where device.connected {
                    emit(.disconnected(device.info))
                    devices[path]?.connected = false
                }
                devices = [:]
                unavailableSaid = "BlueZ left the bus"
                emit(.unavailable("BlueZ (org.bluez) left the system bus; waiting for it to come back"))
            } else {
                loadManagedObjects(bus)
            }
        }
    }
}
