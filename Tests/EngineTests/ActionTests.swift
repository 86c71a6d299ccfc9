import Foundation
import RoutineModel
import Testing

@testable import Engine

@Suite(.timeLimit(.minutes(1))) struct ConditionAndTemplateTests {
    func context(_ hour: Int, _ minute: Int, _ weekday: Weekday = .mon, hp: Bool = false, connected: Set<String> = [])
        -> ConditionContext
    {
        ConditionContext(
            headphoneMode: hp,
            local: LocalDateTime(year: 2026, month: 1, day: 5, hour: hour, minute: minute, second: 0, weekday: weekday),
            connected: connected)
    }

    @Test func timeWindowCrossingMidnight() {
        let night = Condition.time(after: TimeOfDay(hour: 22, minute: 0), before: TimeOfDay(hour: 6, minute: 30))
        let results = [(23, 0), (5, 0), (6, 29), (6, 30), (12, 0), (21, 59), (22, 0), (0, 0)].map {
            ConditionEvaluator.holds(night, in: context($0.0, $0.1))
        }
        #expect(results == [true, true, true, false, false, false, true, true])
        let day = Condition.time(after: TimeOfDay(hour: 9, minute: 0), before: TimeOfDay(hour: 17, minute: 0))
        #expect(
            [8, 9, 16, 17].map { ConditionEvaluator.holds(day, in: context($0, 0)) } == [false, true, true, false])
        let open = Condition.time(after: nil, before: TimeOfDay(hour: 7, minute: 0))
        #expect([6, 7].map { ConditionEvaluator.holds(open, in: context($0, 0)) } == [true, false])
    }

    @Test func daysConnectedAndCombinators() {
        let weekend = Condition.days([.sat, .sun])
        #expect(ConditionEvaluator.holds(weekend, in: context(9, 0, .sat)))
        #expect(!ConditionEvaluator.holds(weekend, in: context(9, 0, .mon)))
        let connected = Condition.connected("aa:bb:cc:dd:ee:ff")
        #expect(ConditionEvaluator.holds(connected, in: context(9, 0, connected: ["AA:BB:CC:DD:EE:FF"])))
        #expect(!ConditionEvaluator.holds(connected, in: context(9, 0)))
        let combo = Condition.all([.not(.headphoneMode(true)), .any([weekend, .days([.mon])])])
        #expect(ConditionEvaluator.holds(combo, in: context(9, 0, .mon)))
        #expect(!ConditionEvaluator.holds(combo, in: context(9, 0, .tue)))
        #expect(!ConditionEvaluator.holds(combo, in: context(9, 0, .mon, hp: true)))
    }

    @Test func templatesRenderPerRun() {
        let local = LocalDateTime(year: 2026, month: 1, day: 5, hour: 19, minute: 5, second: 0, weekday: .mon)
        var r = TemplateRenderer(
            local: local, clock: .h24, routine: "wake", headphoneMode: true, eventData: ["who": "Ann"],
            dates: EnglishDates())
        #expect(
            r.render("It is {time} on {weekday}, {date}. {routine} {headphoneMode} {event.who}{event.none} {x}")
                == "It is 19:05 on Monday, January 5, 2026. wake on Ann {x}")
        r.clock = .h12
        #expect(r.render("{time}") == "7:05 PM")
        r.local.hour = 0
        #expect(r.render("{time}") == "12:05 AM")
    }

    @Test func conditionsAreCheckedWhenATriggerFires() async {
        let h = Harness()
        await h.start([
            routine(
                "night",
                conditions: [.time(after: TimeOfDay(hour: 22, minute: 0), before: TimeOfDay(hour: 6, minute: 0))],
                [tone()]),
            routine("connected", conditions: [.connected("AA:BB:CC:DD:EE:FF")], [tone()]),
        ])
        await h.engine.raise(Event("go"))  // 00:00 Monday: night holds, not connected
        await h.advance(.seconds(5))
        await h.engine.deviceConnected(DeviceInfo(address: "aa:bb:cc:dd:ee:ff", name: "Buds", kind: .headphones))
        await h.time.advance(toWall: date("2026-01-05T12:00:00Z"))
        await h.engine.raise(Event("go"))  // noon: night does not hold, connected holds
        await h.advance(.seconds(5))
        #expect(await h.records("night").count == 1)
        #expect(await h.records("connected").count == 1)
    }
}

@Suite(.timeLimit(.minutes(1))) struct ActionTests {
    @Test func continueOnErrorGoesOnAndAFailureEndsTheRun() async {
        let h = Harness()
        await h.start([
            routine("tolerant", [.play(PlaySpec(file: "missing.wav")), tone()], continueOnError: true),
            routine("strict", [.play(PlaySpec(file: "missing.wav")), tone()]),
        ])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(5))
        let tolerant = await h.records("tolerant")
        let strict = await h.records("strict")
        #expect(tolerant.map(\.outcome) == ["success"])
        #expect(tolerant[0].steps.map { $0.error != nil } == [true, false])
        #expect(strict.map(\.outcome) == ["failed"])
        #expect(strict[0].steps.count == 1)
        #expect(strict[0].error?.contains("actions[0] (play): missing.wav: no such file") == true)
        #expect(await h.plays().count == 1)
    }

    @Test func runWaitsForTheOtherRoutineAndTheCycleGuardStopsLoops() async {
        let h = Harness()
        await h.start([
            routine("outer", [.run("inner"), tone(1, output: "speakers")]),
            routine("inner", triggers: [], [.wait(.seconds(5)), tone(2, output: "speakers")]),
            routine("a", [.run("b")]),
            routine("b", triggers: [], [.run("a")]),
        ])
        _ = try? await h.engine.trigger("outer")
        await h.advance(.seconds(20))
        let plays = await h.plays()
        // inner's 2 s tone at t=5, outer's own tone only after inner finished (t=7).
        #expect(plays.map { $0.start } == [.seconds(5), .seconds(7)])
        #expect(await h.records("inner").map(\.trigger) == ["run:outer"])
        _ = try? await h.engine.trigger("a")
        await h.advance(.seconds(1))
        let a = await h.records("a")
        #expect(a.map(\.outcome) == ["failed"])
        #expect(a[0].error?.contains("routine b failed") == true)
        let b = await h.records("b")
        #expect(b[0].error?.contains("run cycle: a → b → a") == true)
    }

    @Test func emitRaisesAnEventWithRenderedData() async {
        let h = Harness()
        await h.start([
            routine("sender", [.emit(name: "hello", data: ["from": "{routine}", "mode": "{headphoneMode}"])]),
            routine(
                "receiver", triggers: [Trigger(kind: .event(name: "hello", match: ["from": ["sender"]]))],
                [.announce(AnnounceSpec(text: "From {event.from}, mode {event.mode}", output: "speakers"))]),
        ])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(10))
        #expect(h.speech.texts == ["From sender, mode off"])
        #expect(await h.records("receiver").map(\.trigger) == ["event:hello"])
    }

    @Test func headphoneModeIsPersistedRaisesItsEventAndRoutes() async throws {
        let h = Harness()
        await h.start([
            routine("switch", [.headphoneMode(.toggle)]),
            routine(
                "onMode", triggers: [Trigger(kind: .event(name: "headphones.mode", match: ["state": ["on"]]))], [tone()]
            ),
            routine(
                "beep", triggers: [Trigger(kind: .event(name: "beep", match: [:]))],
                [tone(), tone(output: "speakers")]),
        ])
        await h.engine.raise(Event("beep"))
        await h.advance(.seconds(5))
        await h.engine.raise(Event("go"))  // toggles on
        await h.advance(.seconds(5))
        #expect(await h.store.mode == true)
        #expect(await h.records("onMode").count == 1)
        await h.engine.raise(Event("beep"))
        await h.advance(.seconds(5))
        // Off: speakers; on: headphones (and onMode's tone too); explicit output always wins.
        #expect(await h.plays().map(\.output) == ["speakers", "speakers", "headphones", "headphones", "speakers"])
        await h.engine.shutdown()
        let restarted = Harness(sharing: h)
        await restarted.start([])
        #expect(await restarted.engine.isHeadphoneModeOn())
        #expect(try await restarted.engine.setHeadphoneMode(.off) == false)
        #expect(await h.store.mode == false)
    }

    @Test func announceIsOnePlayWithLeadInChimeAndSpeech() async throws {
        let h = Harness()
        await h.start([
            routine(
                "say", [.headphoneMode(.on), .announce(AnnounceSpec(text: "Hi at {time}", chime: .file("chime.wav")))]),
            routine(
                "keep", triggers: [Trigger(kind: .event(name: "k", match: [:]))],
                [.keepAlive(KeepAliveSpec(output: "speakers")), .volume(output: nil, level: 40)]),
        ])
        await h.engine.raise(Event("go"))
        await h.engine.raise(Event("k"))
        await h.advance(.seconds(10))
        let plays = await h.plays()
        let announce = try #require(plays.first { $0.priority == .announcement })
        #expect(announce.output == "headphones")
        #expect(announce.items.count == 3)
        guard case .keepAlive(let lead) = announce.items[0], case .file(let chime, _) = announce.items[1],
            case .samples(let speech) = announce.items[2]
        else {
            Issue.record("unexpected items \(announce.items)")
            return
        }
        #expect(lead.duration == .milliseconds(300))
        #expect(chime.path == "/audio/chime.wav")
        #expect(speech.samples.count == "Hi at 00:00".count * 220)
        #expect(plays.contains { $0.priority == .keepAlive && $0.output == "speakers" })
        let volumes = await h.audio.volumes
        #expect(volumes.map(\.level) == [40])
    }
}

@Suite(.timeLimit(.minutes(1))) struct SayAndLoopGuardTests {
    @Test func sayIsAnAnnouncementOnTheActiveOutput() async throws {
        let h = Harness()
        await h.start([])
        try await h.engine.setHeadphoneMode(.on)
        let engine = h.engine
        async let said: Void = engine.say("Hello {time}")
        await h.advance(.seconds(5))
        try await said
        let plays = await h.plays()
        #expect(plays.map(\.output) == ["headphones"])
        #expect(plays.map(\.priority) == [.announcement])
        #expect(plays[0].items.count == 2)  // lead-in + speech, no chime
        #expect(h.speech.texts == ["Hello {time}"])
    }

    @Test func aRoutineDoesNotRetriggerItselfFromItsOwnFinish() async throws {
        let h = Harness()
        await h.start([
            routine(
                "loop", triggers: [Trigger(kind: .event(name: "routine.finished", match: [:]))], [tone()]),
            routine("once", [tone()]),
        ])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(30))
        #expect(await h.records("loop").count == 1)  // from once's finish, not from its own
    }

    @Test func speechFallbackIsNotedInTheRunHistory() async throws {
        let h = Harness()
        h.speech.fallback.withLock { $0 = "spoken by espeak-ng: piper did not answer" }
        await h.start([routine("say", [.announce(AnnounceSpec(text: "Hello", voice: "piper:en_US-joe-medium"))])])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(10))
        let record = try #require(await h.records("say").first)
        #expect(record.outcome == "success")
        #expect(record.steps.map(\.note) == ["spoken by espeak-ng: piper did not answer"])
        let plays = await h.plays()
        guard case .samples(let speech) = plays.first?.items.last else {
            Issue.record("unexpected items \(plays)")
            return
        }
        #expect(speech.samples.count == "Hello".count * 220)
    }

    @Test func speechWithoutFallbackHasNoNote() async throws {
        let h = Harness()
        await h.start([routine("say", [.announce(AnnounceSpec(text: "Hello"))])])
        await h.engine.raise(Event("go"))
        await h.advance(.seconds(10))
        let record = try #require(await h.records("say").first)
        #expect(record.steps.map(\.note) == [nil])
    }
}
