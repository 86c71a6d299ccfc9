import Engine
import Foundation
import RoutineModel
import Synchronization
import Testing

@testable import Audio

/// The real player (ALSA `file` plugin, paced to real time) honours cancellation.
@Suite struct CancellationTests {
    @Test func cancellingAPlayingJobStopsItWithinOneBlock() async throws {
        let capture = try Capture()
        let tone = ToneSpec(frequency: 440, duration: .seconds(30))
        let router = capture.router
        let begun = ContinuousClock.now
        let playing = Task { try await router.play([.tone(tone)], on: "speakers", priority: .normal) }
        // Watched and cancelled from a thread of its own: a loaded test run can keep Swift's small
        // cooperative pool busy for seconds, but not the player's thread or this one.
        let cancelledAt = Mutex<ContinuousClock.Instant?>(nil)
        let watcher = Thread {
            let limit = ContinuousClock.now + .seconds(120)
            while capture.samples("speakers").count < 48_000 && ContinuousClock.now < limit { usleep(5000) }
            cancelledAt.withLock { $0 = .now }
            playing.cancel()
        }
        watcher.start()
        let result = await playing.result
        // (A machine so loaded that the play did not start within 120 s cancels it before it plays.)
        guard case .failure(let error) = result, let stopped = error as? PlaybackCancelled else {
            Issue.record("the play was not cancelled: \(result)")
            return
        }
        let cancelled = try #require(cancelledAt.withLock { $0 })
        #expect(stopped.framesWritten > 0)
        let frames = capture.samples("speakers").count / 2
        #expect(frames == stopped.framesWritten)
        // What played in real time until the cancel, plus at most the 100 ms lead and one 50 ms block:
        // far from the 30 s of the tone. (The player's own cancel-to-stop time is measured by
        // bench/stop.)
        let untilCancel = (cancelled - begun) / .milliseconds(1) / 1000
        #expect(Double(frames) <= (untilCancel + 0.15) * 48_000, "\(frames) frames written by \(untilCancel) s")
        #expect(frames < 48_000 * 20, "\(frames) frames written")
    }

    @Test func cancellingAQueuedJobRemovesItAtOnce() async throws {
        let capture = try Capture()
        let player = try #require(capture.router.players["speakers"])
        player.hold()
        let first = Task { try await player.play([.silence(.milliseconds(100))], priority: .normal) }
        let second = Task { try await player.play([.silence(.milliseconds(100))], priority: .normal) }
        let deadline = ContinuousClock.now + .seconds(30)
        while player.queuedJobs < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        #expect(player.queuedJobs == 2)
        second.cancel()
        guard case .failure(let error) = await second.result else {
            Issue.record("the queued job played")
            return
        }
        #expect((error as? PlaybackCancelled)?.framesWritten == 0)
        #expect(player.queuedJobs == 1)
        player.release()
        try await first.value
        #expect(capture.samples("speakers").count == 9600)
    }

    @Test func aFastDeviceIsPacedToRealTime() async throws {
        let capture = try Capture()
        let start = ContinuousClock.now
        try await capture.router.play([.silence(.milliseconds(600))], on: "speakers", priority: .normal)
        let elapsed = ContinuousClock.now - start
        // 600 ms of audio, fed at most 100 ms ahead of real time.
        // (No upper bound: a loaded machine delays the test task itself.)
        #expect(elapsed >= .milliseconds(450), "took \(elapsed)")
        #expect(capture.samples("speakers").count == 57_600)
    }

    @Test func aCancelledBurstThatWroteNothingDoesNotCountAsAudio() async throws {
        let capture = try Capture()
        let player = try #require(capture.router.players["headphones"])
        player.hold()
        let burst = Task { try await player.play([.keepAlive(KeepAliveSpec())], priority: .keepAlive) }
        let deadline = ContinuousClock.now + .seconds(30)
        while player.queuedJobs < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        burst.cancel()
        _ = await burst.result
        player.release()
        #expect(!capture.written.all.contains("headphones"))
        #expect(capture.samples("headphones").isEmpty)
    }
}
