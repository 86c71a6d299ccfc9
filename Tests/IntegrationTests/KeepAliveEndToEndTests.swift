import Foundation
import Testing

/// The built daemon keeping an output alive: bursts captured through ALSA's `file` plugin.
@Suite(.timeLimit(.minutes(2))) struct KeepAliveEndToEndTests {
    @Test func idleOutputGetsInaudibleBurstsWithBoundedGaps() throws {
        let daemon = try AudioEndToEndTests.daemon()
        try daemon.write(
            "keep-alive.json",
            #"{"triggers":[{"idle":"headphones","for":"2s"}],"actions":[{"keepAlive":{"duration":"500ms","fade":"50ms","output":"headphones"}}]}"#
        )
        try daemon.start()
        // Let it run for 10 s of real time: about four bursts (each plays in real time).
        let begin = Date()
        while Date().timeIntervalSince(begin) < 10 { usleep(100_000) }
        let runs = try jsonArray(try daemon.cli(["history", "keep-alive", "--json", "--limit", "100"]).stdout)
        let starts = runs.compactMap { ($0["startedAt"] as? String) }.compactMap(Self.parse).sorted()
        #expect(starts.count >= 3, "\(starts.count) bursts in 10 s")
        // Gaps between burst starts stay within `for` + burst + 1 s (1 s resolution of the timestamps).
        for (a, b) in zip(starts, starts.dropFirst()) {
            #expect(b.timeIntervalSince(a) <= 2 + 0.5 + 1 + 1, "gap \(b.timeIntervalSince(a)) s")
        }
        #expect(runs.allSatisfy { $0["outcome"] as? String == "success" || $0["outcome"] as? String == "running" })
        // The captured samples: whole 0.5 s bursts of a 20 Hz sine at -42 dBFS with fades, nothing on the speakers.
        let samples = AudioEndToEndTests.captured(daemon, "headphones")
        let left = stride(from: 0, to: samples.count, by: 2).map { Double(samples[$0]) }
        let burst = 24_000
        #expect(left.count >= 3 * burst, "\(left.count) frames")
        #expect(AudioEndToEndTests.captured(daemon, "speakers").isEmpty)
        let first = Array(left[0..<burst])
        let peak = 20 * log10((first.map(abs).max() ?? 0) / 32767)
        #expect(abs(peak - -42) < 0.3, "peak \(peak) dBFS")
        // Fades: starts and ends at zero, no step larger than the sine's own (no click).
        #expect(abs(first[0]) <= 1 && abs(first[burst - 1]) <= 2)
        let ownStep = 32767 * pow(10, -42.0 / 20) * 2 * Double.pi * 20 / 48_000
        let steps = zip(first, first.dropFirst()).map { abs($1 - $0) }
        #expect((steps.max() ?? 99) <= ownStep + 1)
        // 20 Hz: ten periods in 0.5 s, so twenty sign changes in the middle of the burst.
        let middle = first[2400..<21_600]
        let crossings = zip(middle, middle.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect((15...17).contains(crossings), "\(crossings) zero crossings in 0.4 s")
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
