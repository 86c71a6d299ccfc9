import BlueZMock
import Foundation
import Testing

/// Stop means stop, through the built daemon and the real player into ALSA's `file` plugin: the
/// capture's length tells how much audio went out.
@Suite(.timeLimit(.minutes(3))) struct StopEndToEndTests {
    /// Seconds of 48 kHz stereo audio captured on `output`.
    static func seconds(_ daemon: DaemonProcess, _ output: String) -> Double {
        Double(AudioEndToEndTests.captured(daemon, output).count) / 2 / 48_000
    }

    static func sleep(_ seconds: Double) { usleep(UInt32(seconds * 1_000_000)) }

    static func outcomes(_ daemon: DaemonProcess, _ name: String) throws -> [String] {
        try jsonArray(try daemon.cli(["history", name, "--json"]).stdout).compactMap { $0["outcome"] as? String }
    }

    @Test func restartCutsTheOldRunsAudio() throws {
        let daemon = try AudioEndToEndTests.daemon()
        try daemon.write(
            "long-tone.json",
            #"{"mode":"restart","triggers":[{"event":"manual.only"}],"actions":[{"tone":{"frequency":440,"duration":"4s","output":"speakers"}}]}"#
        )
        try daemon.start()
        let firstAsked = Date()
        #expect(try daemon.cli(["trigger", "long-tone"]).status == 0)
        Self.sleep(1)
        #expect(try daemon.cli(["trigger", "long-tone"]).status == 0)
        let secondAnswered = Date().timeIntervalSince(firstAsked)
        try waitUntil("both runs ended", timeout: 15) {
            try Self.outcomes(daemon, "long-tone") == ["success", "cancelled"]
        }
        // The whole second tone (4 s), after the first one's start: at most what played between the
        // first trigger and the second one's answer (about 1 s; more on a loaded machine, less when
        // the first tone started late), plus the player's 100 ms lead and a block. Both tones whole
        // would be 8 s.
        let captured = Self.seconds(daemon, "speakers")
        #expect(
            captured > 4 && captured < 4 + secondAnswered + 0.2,
            "captured \(captured) s; the second trigger was answered \(secondAnswered) s after the first was sent")
    }

    @Test func stopCutsAudioAndQueuedRuns() throws {
        let daemon = try AudioEndToEndTests.daemon()
        try daemon.write(
            "alarm.json",
            #"{"mode":"queued","triggers":[{"event":"manual.only"}],"actions":[{"tone":{"frequency":440,"duration":"10s","output":"speakers"}}]}"#
        )
        try daemon.start()
        let started = Date()
        for _ in 0..<3 { #expect(try daemon.cli(["trigger", "alarm"]).status == 0) }
        try waitUntil("audio plays") { Self.seconds(daemon, "speakers") > 0.5 }
        let stop = try daemon.cli(["stop", "alarm"])
        let stoppedAfter = Date().timeIntervalSince(started)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout.contains("alarm: stopped 1 run, dropped 2 queued runs"), "\(stop.stdout)")
        let captured = Self.seconds(daemon, "speakers")
        Self.sleep(0.5)
        // Nothing more after the stop, and nothing of the queued runs.
        #expect(Self.seconds(daemon, "speakers") == captured)
        // Audio cannot have started before the first trigger: what went out is bounded by the time
        // until the stop's reply, plus the player's 100 ms lead and one block.
        #expect(captured < stoppedAfter + 0.2, "captured \(captured) s, stopped after \(stoppedAfter) s")
        #expect(try Self.outcomes(daemon, "alarm") == ["cancelled", "cancelled", "cancelled"])
        let again = try daemon.cli(["stop", "alarm"])
        #expect(again.status == 0 && again.stdout.contains("alarm is not running"), "\(again.stdout)")
        #expect(try daemon.cli(["stop", "--all"]).stdout.contains("nothing was running"))
        let unknown = try daemon.cli(["stop", "nope"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no routine named nope"), "\(unknown.stderr)")
        let both = try daemon.cli(["stop", "alarm", "--all"])
        #expect(both.status != 0 && both.stderr.contains("not both"))
        let neither = try daemon.cli(["stop"])
        #expect(neither.status != 0 && neither.stderr.contains("--all"))
    }

    @Test func sigtermCutsAudioAndRecordsInterrupted() throws {
        let daemon = try AudioEndToEndTests.daemon()
        try daemon.write(
            "long.json",
            #"{"triggers":[{"event":"manual.only"}],"actions":[{"tone":{"frequency":440,"duration":"10s","output":"speakers"}}]}"#
        )
        try daemon.start()
        #expect(try daemon.cli(["trigger", "long"]).status == 0)
        try waitUntil("audio plays") { Self.seconds(daemon, "speakers") > 1 }
        let before = Self.seconds(daemon, "speakers")
        daemon.stop()
        // At most the player's 100 ms lead and one 50 ms block after the signal.
        let after = Self.seconds(daemon, "speakers")
        #expect(after - before < 0.25, "\(after - before) s of audio after SIGTERM")
        try daemon.start()
        let runs = try jsonArray(try daemon.cli(["history", "long", "--json"]).stdout)
        #expect(runs.map { $0["outcome"] as? String } == ["interrupted"])
        #expect(runs.first?["error"] as? String == "the daemon stopped during the run")
    }

    @Test func disconnectCutsTheHeadphonesAudio() throws {
        let bluez = try MockBlueZ()
        let daemon = try AudioEndToEndTests.daemon()
        let config = try daemon.dir.write(
            "config.json",
            #"{"outputs": {"speakers": {"pcm": "cap_speakers"}, "headphones": {"pcm": "cap_headphones", "bluetooth": "11:22:33:44:55:66"}}}"#
        )
        daemon.extraArguments = ["--config", config]
        daemon.environment["DBUS_SYSTEM_BUS_ADDRESS"] = bluez.address
        try daemon.write(
            "music.json",
            #"{"triggers":[{"event":"manual.only"}],"actions":[{"tone":{"frequency":440,"duration":"10s","output":"headphones"}}]}"#
        )
        try daemon.start()
        try bluez.addDevice("11:22:33:44:55:66", "Test Headphones", headphones: true)
        try bluez.mockCall("ConnectDevice", ["hci0", "11:22:33:44:55:66"])
        try waitUntil("the headphones are active") {
            try jsonArray(try daemon.cli(["outputs", "--json"]).stdout).first {
                $0["name"] as? String == "headphones"
            }?["state"]
                as? String == "active"
        }
        #expect(try daemon.cli(["trigger", "music"]).status == 0)
        try waitUntil("audio plays") { Self.seconds(daemon, "headphones") > 1 }
        try bluez.mockCall("DisconnectDevice", ["hci0", "11:22:33:44:55:66"])
        try waitUntil("the run ended") { try Self.outcomes(daemon, "music") == ["cancelled"] }
        let captured = Self.seconds(daemon, "headphones")
        Self.sleep(0.5)
        #expect(Self.seconds(daemon, "headphones") == captured)
        #expect(captured < 5, "captured \(captured) s of a 10 s tone")
        let run = try jsonArray(try daemon.cli(["history", "music", "--json"]).stdout)[0]
        #expect((run["error"] as? String)?.contains("its Bluetooth device disconnected") == true, "\(run)")
        let outputs = try jsonArray(try daemon.cli(["outputs", "--json"]).stdout)
        #expect(outputs.first { $0["name"] as? String == "headphones" }?["state"] as? String == "inactive")
    }

    @Test func disableAndEnableOutliveRestartsAndReloads() throws {
        let daemon = try AudioEndToEndTests.daemon()
        try daemon.write(
            "beep.json", #"{"triggers":[{"event":"beep"}],"actions":[{"tone":{"frequency":440,"duration":"100ms"}}]}"#)
        try daemon.start()
        let disable = try daemon.cli(["disable", "beep"])
        #expect(disable.status == 0 && disable.stdout.contains("beep: disabled"), "\(disable.stdout)\(disable.stderr)")
        let list = try daemon.cli(["list"]).stdout
        #expect(list.contains("no (set)"), "\(list)")
        #expect(try daemon.cli(["event", "beep"]).status == 0)
        Self.sleep(0.5)
        #expect(try Self.outcomes(daemon, "beep").isEmpty)
        let refused = try daemon.cli(["trigger", "beep"])
        #expect(refused.status != 0 && refused.stderr.contains("is disabled") && refused.stderr.contains("--force"))
        #expect(try daemon.cli(["trigger", "beep", "--force", "--wait"]).status == 0)
        // A reload of the file and a restart keep it disabled.
        try daemon.write(
            "beep.json", #"{"triggers":[{"event":"beep"}],"actions":[{"tone":{"frequency":880,"duration":"100ms"}}]}"#)
        Self.sleep(0.5)
        daemon.stop()
        try daemon.start()
        #expect(try daemon.cli(["event", "beep"]).status == 0)
        Self.sleep(0.5)
        #expect(try Self.outcomes(daemon, "beep") == ["success"])
        let rows = try jsonArray(try daemon.cli(["list", "--json"]).stdout)
        #expect(rows.first { $0["name"] as? String == "beep" }?["enabledBy"] as? String == "state")
        #expect(try daemon.cli(["enable", "beep"]).stdout.contains("beep: enabled"))
        #expect(try daemon.cli(["event", "beep"]).status == 0)
        try waitUntil("the event ran it") { try Self.outcomes(daemon, "beep") == ["success", "success"] }
        let unknown = try daemon.cli(["disable", "nope"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no routine named nope"))
        let bad = try daemon.cli(["enable", "Bad Name"])
        #expect(bad.status != 0 && bad.stderr.contains("not a routine name"))
    }

    @Test func outputsExitsOneWhenAnOutputDoesNotOpen() throws {
        let daemon = try AudioEndToEndTests.daemon()
        let config = try daemon.dir.write(
            "config.json",
            #"{"outputs": {"speakers": {"pcm": "no_such_device"}, "headphones": {"pcm": "cap_headphones"}}}"#)
        daemon.extraArguments = ["--config", config]
        try daemon.start()
        let result = try daemon.cli(["outputs"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("unavailable"), "\(result.stdout)")
        #expect(result.stderr.contains("output speakers did not open"), "\(result.stderr)")
        let rows = try jsonArray(try daemon.cli(["outputs", "--json"]).stdout)
        #expect(rows.first { $0["name"] as? String == "speakers" }?["state"] as? String == "unavailable")
        #expect(rows.first { $0["name"] as? String == "headphones" }?["state"] as? String == "active")
        // A burst that could not play counts nowhere.
        try daemon.write(
            "keep.json",
            #"{"triggers":[{"event":"manual.only"}],"actions":[{"keepAlive":{"duration":"200ms","output":"speakers"}}]}"#
        )
        try waitUntil("keep is loaded") { try daemon.cli(["list"]).stdout.contains("keep") }
        #expect(try daemon.cli(["trigger", "keep", "--wait"]).status != 0)
        let status = try jsonObject(try daemon.cli(["status", "--json"]).stdout)
        let speakers = (status["outputs"] as? [[String: Any]])?.first { $0["name"] as? String == "speakers" }
        #expect(speakers?["burstsLastHour"] as? Int == 0, "\(String(describing: speakers))")
        #expect(speakers?["lastAudio"] == nil || speakers?["lastAudio"] is NSNull, "\(String(describing: speakers))")
        #expect(speakers?["state"] as? String == "unavailable")
        #expect(try Self.outcomes(daemon, "keep") == ["failed"])
    }
}
