import Foundation
import RoutineModel
import Testing

@testable import Engine

let buds = DeviceInfo(address: "aa:bb:cc:dd:ee:ff", name: "Buds", kind: .headphones)

func keepAlive(_ output: String, every seconds: Int) -> Routine {
    Routine(
        name: "keep-\(output)", triggers: [Trigger(kind: .idle(output: output, for: .seconds(seconds)))],
        actions: [Action(.keepAlive(KeepAliveSpec(output: output)))])
}

@Suite(.timeLimit(.minutes(1))) struct IdleTests {
    @Test func idleFiresOnlyWhileTheDeviceIsConnected() async throws {
        let h = Harness()
        await h.start([keepAlive("headphones", every: 300)])
        await h.advance(.seconds(1000))
        #expect(await h.plays().isEmpty)
        #expect(await h.engine.status().outputs.first { $0.name == "headphones" }?.active == false)
        await h.engine.deviceConnected(buds)
        await h.advance(.seconds(1000))  // t = 2000
        // Idle clock from the connection (t=1000); each burst lasts 2 s and restarts the clock.
        #expect(await h.plays().map(\.start) == [.seconds(1300), .seconds(1602), .seconds(1904)])
        let status = try #require(await h.engine.status().outputs.first { $0.name == "headphones" })
        #expect(status.active)
        #expect(status.burstsLastHour == 3)
        #expect(status.burstsTotal == 3)
        #expect(status.lastAudio == h.time.wallBase.addingTimeInterval(1906))
        #expect(status.nextIdleFire == h.time.wallBase.addingTimeInterval(2206))
        await h.engine.deviceDisconnected(buds)
        await h.advance(.seconds(1000))  // t = 3000
        #expect(await h.plays().count == 3)
        #expect(await h.engine.status().outputs.first { $0.name == "headphones" }?.nextIdleFire == nil)
        await h.engine.deviceConnected(buds)
        await h.advance(.seconds(301))
        #expect(await h.plays().map(\.start).last == .seconds(3300))
    }

    @Test func disconnectingCancelsTheBurstInFlight() async throws {
        let h = Harness()
        await h.start([
            Routine(
                name: "keep", triggers: [Trigger(kind: .idle(output: "headphones", for: .seconds(60)))],
                actions: [Action(.keepAlive(KeepAliveSpec(duration: .seconds(10), output: "headphones")))])
        ])
        await h.engine.deviceConnected(buds)
        await h.advance(.seconds(65))
        await h.engine.deviceDisconnected(buds)
        await h.advance(.seconds(100))
        let plays = await h.plays()
        #expect(plays.count == 1)
        #expect(plays[0].interrupted && plays[0].end == .seconds(65))
        #expect(await h.records("keep").map(\.outcome) == ["cancelled"])
        #expect(await h.records("keep").first?.error?.contains("its Bluetooth device disconnected") == true)
    }

    @Test func otherAudioAndReportedWritesMoveTheIdleClock() async throws {
        let h = Harness()
        await h.start([
            keepAlive("speakers", every: 60),
            routine("music", [tone(10, output: "speakers")]),
        ])
        await h.advance(.seconds(30))
        await h.engine.raise(Event("go"))  // 30–40
        await h.advance(.seconds(80))  // t = 110
        await h.engine.audioWritten(output: "speakers")  // frames from elsewhere at 110
        await h.advance(.seconds(100))
        let starts = await h.plays(on: "speakers").filter { $0.priority == .keepAlive }.map(\.start)
        #expect(starts == [.seconds(100), .seconds(170)])
    }

    @Test func aReloadKeepsTheIdleClockAndAMissingPcmIsInactive() async throws {
        let h = Harness()
        await h.start([keepAlive("speakers", every: 60)])
        for _ in 0..<5 {
            await h.advance(.seconds(20))
            await h.engine.apply(keepAlive("speakers", every: 60))
        }
        await h.advance(.seconds(5))  // t = 105
        #expect(await h.plays().map(\.start) == [.seconds(60)])
        await h.engine.setOutputAvailable("speakers", false)
        await h.advance(.seconds(50))
        #expect(await h.plays().count == 1)
        await h.engine.setOutputAvailable("speakers", true)  // t = 155
        await h.advance(.seconds(61))
        #expect(await h.plays().map(\.start).last == .seconds(215))
    }

    /// A PCM that fails to open is tried again (1 min, then doubling up to 10 min, each try being the
    /// idle trigger's next burst), so one failure never ends keep-alive for good.
    @Test func anOutputThatDidNotOpenIsTriedAgainWithBackOff() async throws {
        let h = Harness()
        await h.start([keepAlive("speakers", every: 60)])
        await h.advance(.seconds(61))  // the first burst at 60 s
        await h.audio.setFailing(["speakers"])
        // The audio layer reports each failed open; here the test reports for it.
        await h.engine.setOutputAvailable("speakers", false)  // t = 61
        await h.advance(.seconds(59))
        #expect(await h.engine.status().outputs.first { $0.name == "speakers" }?.active == false)
        await h.advance(.seconds(1))  // t = 121: tried again, so active, its idle clock from now
        #expect(await h.engine.status().outputs.first { $0.name == "speakers" }?.active == true)
        await h.advance(.seconds(60))  // t = 181: the idle trigger's attempt fails
        await h.engine.setOutputAvailable("speakers", false)
        await h.advance(.seconds(119))  // the next try is 2 min after the previous one (t = 241)
        #expect(await h.engine.status().outputs.first { $0.name == "speakers" }?.active == true)
        // The device is back: the next attempt plays and the output stays active.
        await h.audio.setFailing([])
        await h.engine.setOutputAvailable("speakers", true)
        await h.advance(.seconds(61))
        #expect(await h.plays().filter { $0.priority == .keepAlive }.map(\.start).last == .seconds(301))
    }

    @Test func aBluetoothReconnectRetriesAnOutputThatDidNotOpen() async throws {
        let h = Harness()
        await h.start([keepAlive("headphones", every: 300)])
        await h.engine.deviceConnected(buds)
        await h.engine.setOutputAvailable("headphones", false)  // e.g. the PCM was not there yet
        await h.advance(.seconds(10))
        #expect(await h.engine.status().outputs.first { $0.name == "headphones" }?.active == false)
        await h.engine.deviceDisconnected(buds)
        await h.engine.deviceConnected(buds)  // t = 10: a new link, a fresh try at once
        #expect(await h.engine.status().outputs.first { $0.name == "headphones" }?.active == true)
        await h.advance(.seconds(301))
        #expect(await h.plays().map(\.start) == [.seconds(310)])
    }
}
