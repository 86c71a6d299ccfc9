import BlueZMock
import Foundation
import Testing

/// The built daemon with the shipped routines and a mock BlueZ: headphone mode follows the headset.
@Suite(.serialized, .timeLimit(.minutes(2))) struct BluetoothEndToEndTests {
    @Test func connectingHeadphonesSwitchesHeadphoneModeAndAnnouncesInThem() throws {
        let bluez = try MockBlueZ()
        let daemon = try AudioEndToEndTests.daemon()
        let config = try daemon.dir.write(
            "config.json",
            #"{"outputs": {"speakers": {"pcm": "cap_speakers"}, "headphones": {"pcm": "cap_headphones", "bluetooth": "11:22:33:44:55:66", "leadIn": "300ms"}}}"#
        )
        daemon.extraArguments = ["--config", config]
        daemon.environment["DBUS_SYSTEM_BUS_ADDRESS"] = bluez.address
        try daemon.start()
        func mode() throws -> String { try daemon.cli(["headphones", "status"]).stdout }
        #expect(try mode().contains("off"))

        // A phone connecting changes nothing.
        try bluez.addDevice("AA:BB:CC:00:11:22", "Phone", headphones: false)
        try bluez.mockCall("ConnectDevice", ["hci0", "AA:BB:CC:00:11:22"])
        try waitUntil("the phone's event ran through") { daemon.log.contains("'Phone' (AA:BB:CC:00:11:22) connected") }
        #expect(try mode().contains("off"))

        // Headphones: headphone mode on, and the announcement only in the headphone capture.
        try bluez.addDevice("11:22:33:44:55:66", "Test Headphones", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:66"])
        try waitUntil("headphone mode is on") { try mode().contains("on") }
        try waitUntil("the announcement is in the headphones") {
            AudioEndToEndTests.captured(daemon, "headphones").count > 48_000 * 2
        }
        #expect(AudioEndToEndTests.captured(daemon, "speakers").isEmpty)
        // The output's lead-in comes first: 300 ms of the inaudible keep-alive signal (20 Hz, -42 dBFS).
        let capture = AudioEndToEndTests.captured(daemon, "headphones")
        let leadIn = stride(from: 0, to: 2 * 14_400, by: 2).map { Double(capture[$0]) }
        let peak = 20 * log10((leadIn.map(abs).max() ?? 0) / 32767)
        #expect(abs(peak - -42) < 0.5, "lead-in peak \(peak) dBFS")
        let outputs = try jsonArray(try daemon.cli(["outputs", "--json"]).stdout)
        #expect(outputs.first { $0["name"] as? String == "headphones" }?["active"] as? Bool == true)

        // Disconnect: headphone mode off, the output inactive.
        try bluez.mockCall("DisconnectDevice", ["hci0", "11:22:33:44:55:66"])
        try waitUntil("headphone mode is off") { try mode().contains("off") }
        let after = try jsonArray(try daemon.cli(["outputs", "--json"]).stdout)
        #expect(after.first { $0["name"] as? String == "headphones" }?["active"] as? Bool == false)
    }

    @Test func withoutABusTheDaemonRunsAndSaysWhy() throws {
        let daemon = try DaemonProcess()
        daemon.environment["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/nonexistent/routines-no-bus.sock"
        try daemon.start()
        try waitUntil("the daemon says why there are no device events") {
            daemon.log.contains("no Bluetooth device events")
        }
        #expect(try daemon.cli(["status"]).status == 0)
    }
}
