import Foundation
import RoutineModel
import Testing

@testable import Engine

/// The keep-alive guarantee (issue 5), shown in virtual time: a seeded-random day of other audio,
/// announcements, headphone-mode changes, reloads of the keep-alive routines, device reconnects and
/// engine restarts (same state store), per seed.
@Suite(.timeLimit(.minutes(1))) struct KeepAliveGuaranteeTests {
    static let idleFor = 300
    static let day = Duration.seconds(86_400)

    static let routines: [Routine] = [
        keepAlive("headphones", every: idleFor),
        keepAlive("speakers", every: idleFor),
        routine(
            "music-short", mode: .parallel, triggers: [Trigger(kind: .event(name: "music", match: ["len": ["short"]]))],
            [tone(20)]),
        routine(
            "music-long", mode: .parallel, triggers: [Trigger(kind: .event(name: "music", match: ["len": ["long"]]))],
            [tone(900)]),
        routine(
            "music-hp", mode: .queued, triggers: [Trigger(kind: .event(name: "music", match: ["len": ["hp"]]))],
            [.play(PlaySpec(file: "song.ogg", output: "headphones"))]),
        routine(
            "say", mode: .queued, triggers: [Trigger(kind: .event(name: "say", match: [:]))],
            [.announce(AnnounceSpec(text: "It is {time} on {weekday}", chime: .file("chime.wav")))]),
        routine("hp", triggers: [Trigger(kind: .event(name: "hp", match: [:]))], [.headphoneMode(.toggle)]),
    ]

    struct Timeline {
        /// Headphones active periods `[from, to)`.
        var active: [(from: Duration, to: Duration)] = []
        var connectedSince: Duration?
        var restarts = 0
        var reloads = 0
        var reconnects = 0
    }

    @Test(arguments: [1, 2, 3, 7, 42] as [UInt64])
    func aRandomDayKeepsEveryActiveOutputAwake(seed: UInt64) async throws {
        let rng = SeededRandom(seed: seed)
        var h = Harness(jitterSeed: seed)
        await h.audio.setFileDuration(.seconds(180))
        await h.start(Self.routines)
        var timeline = Timeline()
        while h.time.monoNow < Self.day {
            let gap = Duration.seconds(rng.int(900) + 1)
            await h.advance(min(gap, Self.day - h.time.monoNow))
            if h.time.monoNow >= Self.day { break }
            switch rng.int(100) {
            case 0..<12: await h.engine.raise(Event("music", ["len": "short"]))
            case 12..<18: await h.engine.raise(Event("music", ["len": "long"]))
            case 18..<28: await h.engine.raise(Event("music", ["len": "hp"]))
            case 28..<42: await h.engine.raise(Event("say"))
            case 42..<50: await h.engine.raise(Event("hp"))
            case 50..<65:
                timeline.reloads += 1
                await h.engine.apply(Self.routines[rng.int(2)])
            case 65..<88:
                if let since = timeline.connectedSince {
                    await h.engine.deviceDisconnected(buds)
                    timeline.active.append((since, h.time.monoNow))
                    timeline.connectedSince = nil
                } else {
                    await h.engine.deviceConnected(buds)
                    timeline.connectedSince = h.time.monoNow
                    timeline.reconnects += 1
                }
            case 88..<96:
                timeline.restarts += 1
                await h.engine.shutdown()
                h = Harness(sharing: h, jitterSeed: seed &+ UInt64(timeline.restarts))
                await h.start(Self.routines)
                if timeline.connectedSince != nil { await h.engine.deviceConnected(buds) }
            default:
                break
            }
        }
        if let since = timeline.connectedSince { timeline.active.append((since, h.time.monoNow)) }
        let end = h.time.monoNow
        await h.engine.shutdown()
        let plays = await h.plays()
        #expect(timeline.restarts > 0 && timeline.reloads > 0 && timeline.reconnects > 2)

        let limit = Duration.seconds(Self.idleFor + 1)
        // 1. Silence between frames on an active output never exceeds `for` + 1 s.
        let speakersGap = maxGap(plays.filter { $0.output == "speakers" }, in: [(.zero, end)])
        let headphonesGap = maxGap(plays.filter { $0.output == "headphones" }, in: timeline.active)
        #expect(speakersGap <= limit, "speakers silent for \(speakersGap)")
        #expect(headphonesGap <= limit, "headphones silent for \(headphonesGap)")
        // 2. No keep-alive burst while the headphones are not connected.
        let bursts = plays.filter { $0.output == "headphones" && $0.priority == .keepAlive }
        #expect(bursts.count > 20)
        for burst in bursts {
            let inside = timeline.active.contains { $0.from <= burst.start && (burst.end ?? end) <= $0.to }
            #expect(inside, "burst at \(burst.start) while disconnected")
        }
        // 3. Nothing overlaps on an output: a burst never plays over other audio.
        for output in ["speakers", "headphones"] {
            let sorted = plays.filter { $0.output == output }.sorted { $0.start < $1.start }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                #expect((a.end ?? end) <= b.start, "\(output): \(a.priority) and \(b.priority) overlap at \(b.start)")
            }
        }
    }

    /// The longest silence inside the given periods, given the play intervals.
    func maxGap(_ plays: [RecordingAudio.Play], in periods: [(from: Duration, to: Duration)]) -> Duration {
        var worst = Duration.zero
        for period in periods {
            var cursor = period.from
            for play in plays.sorted(by: { $0.start < $1.start }) {
                let end = play.end ?? period.to
                guard end > period.from, play.start < period.to else { continue }
                worst = max(worst, play.start - cursor)
                cursor = max(cursor, end)
            }
            worst = max(worst, period.to - cursor)
        }
        return worst
    }
}
