import Foundation
import RoutineModel
import Testing

@testable import Engine

/// A sink output's activity as the audio server reports it (SinkState), on virtual time.
@Suite(.timeLimit(.minutes(1))) struct SinkActivityTests {
    static let config = Config(
        outputs: ["speakers": OutputConfig(pcm: "default"), "headphones": .sink("bluez_output.AA_BB_CC_DD_EE_FF.1")],
        defaultOutput: "speakers", headphoneOutput: "headphones")

    func status(_ h: Harness) async -> OutputStatus? {
        await h.engine.status().outputs.first { $0.name == "headphones" }
    }

    @Test func aSinkOutputIsInactiveUntilTheServerReportsItsSink() async throws {
        let h = Harness(config: Self.config)
        await h.start([keepAlive("headphones", every: 5)])
        await h.advance(.seconds(60))
        #expect(await h.plays().isEmpty)
        #expect(await status(h)?.active == false)
        #expect(await status(h)?.sinkProblem == "waiting for the audio server")
        await h.engine.sinkStateChanged("headphones", .idle)  // t = 60
        await h.advance(.seconds(6))
        #expect(await h.plays().map(\.start) == [.seconds(65)])
        #expect(await status(h)?.active == true)
        #expect(await status(h)?.sinkProblem == nil)
    }

    @Test func noBurstWhileAnotherProgramPlaysAndOneForAfterItStopped() async throws {
        let h = Harness(config: Self.config)
        await h.start([keepAlive("headphones", every: 5)])
        await h.engine.sinkStateChanged("headphones", .idle)  // t = 0: due at 5
        await h.advance(.seconds(3))
        await h.engine.sinkStateChanged("headphones", .playing)  // music 3–13
        #expect(await status(h)?.otherAudio == true)
        #expect(await status(h)?.nextIdleFire == nil)
        await h.advance(.seconds(10))
        #expect(await h.plays().isEmpty, "no burst during the other program's 10 s")
        await h.engine.sinkStateChanged("headphones", .idle)  // t = 13
        await h.advance(.seconds(5) + .milliseconds(500))
        #expect(await h.plays().map(\.start) == [.seconds(18)], "one burst `for` after the music stopped")
    }

    @Test func aMissingSinkOrServerMakesTheOutputInactiveAndCancelsTheBurst() async throws {
        let h = Harness(config: Self.config)
        await h.start([
            Routine(
                name: "keep", triggers: [Trigger(kind: .idle(output: "headphones", for: .seconds(60)))],
                actions: [Action(.keepAlive(KeepAliveSpec(duration: .seconds(10), output: "headphones")))])
        ])
        await h.engine.sinkStateChanged("headphones", .idle)
        await h.advance(.seconds(65))  // burst 60–70 in flight
        await h.engine.sinkStateChanged("headphones", .missing)
        await h.advance(.seconds(200))
        let plays = await h.plays()
        #expect(plays.count == 1 && plays[0].interrupted && plays[0].end == .seconds(65))
        #expect(await status(h)?.active == false)
        #expect(await status(h)?.sinkProblem?.contains("no such sink") == true)
        // The sink comes back (a headset connected): the idle clock starts from that moment.
        await h.engine.sinkStateChanged("headphones", .idle)  // t = 265
        await h.advance(.seconds(61))
        #expect(await h.plays().map(\.start).last == .seconds(325))
        await h.engine.sinkStateChanged("headphones", .serverUnavailable("the audio server is not reachable: test"))
        #expect(await status(h)?.active == false)
        #expect(await status(h)?.sinkProblem == "the audio server is not reachable: test")
        #expect(h.logs.contains("output headphones is unavailable: the audio server is not reachable"))
    }

    @Test func anAlsaOutputIgnoresSinkReports() async throws {
        let h = Harness(config: Self.config)
        await h.start([keepAlive("speakers", every: 5)])
        await h.engine.sinkStateChanged("speakers", .missing)
        await h.advance(.seconds(6))
        #expect(await h.plays().map(\.start) == [.seconds(5)])
    }
}
