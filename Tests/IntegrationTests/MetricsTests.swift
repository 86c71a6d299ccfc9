import Foundation
import Testing

/// `GET /metrics` from the built daemon, parsed as Prometheus text: the counters move when routines
/// run, play, fail on a missing device, reload and when files break.
@Suite(.timeLimit(.minutes(2))) struct MetricsTests {
    /// Samples by their full name with labels, e.g. `routines_runs_total{routine="beep",outcome="success"}`.
    static func scrape(_ daemon: DaemonProcess) throws -> [String: Double] {
        let (code, text) = try ControlAPITests().curl(daemon, "GET", "/metrics")
        #expect(code == 200)
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a Prometheus sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// The value of the sample named `name` whose labels include all of `labels` (0 when absent).
    static func value(_ samples: [String: Double], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { key, _ in
            (key == name || key.hasPrefix(name + "{"))
                && labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
        }.values.reduce(0, +)
    }

    @Test func countersMoveWhenRoutinesRunPlayFailAndReload() throws {
        let daemon = try AudioEndToEndTests.daemon()
        // A third output whose PCM does not exist: its plays are ALSA errors.
        let config = try daemon.dir.write(
            "config.json",
            #"{"outputs": {"speakers": {"pcm": "cap_speakers"}, "headphones": {"pcm": "cap_headphones"}, "gone": {"pcm": "no_such_pcm_here"}}, "timezone": "UTC"}"#
        )
        daemon.extraArguments = ["--config", config]
        try daemon.write(
            "beep.json", #"{"triggers":[{"event":"m"}],"actions":[{"tone":{"frequency":440,"duration":"100ms"}}]}"#)
        try daemon.write(
            "burst.json",
            #"{"triggers":[{"event":"m"}],"actions":[{"keepAlive":{"duration":"200ms","output":"headphones"}}]}"#)
        try daemon.write(
            "lost.json",
            #"{"triggers":[{"event":"m"}],"actions":[{"tone":{"frequency":440,"duration":"100ms","output":"gone"}}]}"#)
        try daemon.start()

        let before = try Self.scrape(daemon)
        #expect(Self.value(before, "routines_routines_loaded") >= 3)
        #expect(Self.value(before, "routines_invalid_files") == 0)
        #expect(Self.value(before, "routines_keepalive_bursts_total", ["output": "headphones"]) == 0)
        #expect(before.keys.contains { $0.hasPrefix("routines_keepalive_bursts_total{") })

        #expect(try daemon.cli(["trigger", "beep", "--wait"]).status == 0)
        #expect(try daemon.cli(["trigger", "beep", "--wait"]).status == 0)
        #expect(try daemon.cli(["trigger", "burst", "--wait"]).status == 0)
        #expect(try daemon.cli(["trigger", "lost", "--wait"]).status != 0)
        let after = try Self.scrape(daemon)
        #expect(Self.value(after, "routines_runs_total", ["routine": "beep", "outcome": "success"]) == 2)
        #expect(Self.value(after, "routines_runs_total", ["routine": "burst", "outcome": "success"]) == 1)
        #expect(Self.value(after, "routines_runs_total", ["routine": "lost", "outcome": "failed"]) == 1)
        #expect(Self.value(after, "routines_keepalive_bursts_total", ["output": "headphones"]) == 1)
        #expect(Self.value(after, "routines_alsa_errors_total", ["output": "gone"]) >= 1)
        #expect(Self.value(after, "routines_alsa_errors_total", ["output": "speakers"]) == 0)
        // The trigger-to-first-frame histogram: one observation per run that played (beep twice on
        // the speakers, the burst on the headphones), each well under a second here.
        #expect(Self.value(after, "routines_trigger_to_first_frame_seconds_count", ["output": "speakers"]) == 2)
        #expect(Self.value(after, "routines_trigger_to_first_frame_seconds_count", ["output": "headphones"]) == 1)
        #expect(
            Self.value(after, "routines_trigger_to_first_frame_seconds_bucket", ["output": "speakers", "le": "1.0"])
                == 2)
        #expect(Self.value(after, "routines_trigger_to_first_frame_seconds_sum", ["output": "speakers"]) > 0)

        // Reloads: a fixed file is applied, a broken one counted as invalid and shown as such.
        try daemon.write(
            "beep.json", #"{"triggers":[{"event":"m"}],"actions":[{"tone":{"frequency":880,"duration":"100ms"}}]}"#)
        try daemon.write("broken.json", #"{"triggers":[{"event":"m"}],"actions":[{"tone":{"frequncy":440}}]}"#)
        try waitUntil("both reloads counted") {
            let now = try Self.scrape(daemon)
            return Self.value(now, "routines_reloads_total", ["result": "applied"]) >= 1
                && Self.value(now, "routines_reloads_total", ["result": "invalid"]) >= 1
        }
        #expect(Self.value(try Self.scrape(daemon), "routines_invalid_files") == 1)
    }
}
