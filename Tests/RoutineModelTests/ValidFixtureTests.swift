import Foundation
import Testing

@testable import RoutineModel

/// Valid fixtures decode into the values they describe.
@Suite struct ValidFixtureTests {
    @Test(arguments: try Fixtures.files("valid"))
    func validRoutineFixture(_ url: URL) throws {
        let result = try Fixtures.decodeRoutine(url)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
        #expect(result.value != nil)
    }

    @Test(arguments: try Fixtures.files("config/valid"))
    func validConfigFixture(_ url: URL) throws {
        let result = ConfigDecoder.decode(try Fixtures.bytes(url), file: url.lastPathComponent)
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description))")
    }

    @Test func everythingDecodesFieldByField() throws {
        let url = Fixtures.root.appendingPathComponent("valid/everything.json")
        let routine = try #require(try Fixtures.decodeRoutine(url).value)
        #expect(routine.name == "everything")
        #expect(routine.mode == .queued)
        #expect(routine.max == 3)
        #expect(routine.triggers.count == 13)
        #expect(routine.conditions.count == 7)
        #expect(routine.actions.count == 15)

        let first = routine.triggers[0]
        #expect(first.id == "weekdays")
        #expect(first.kind == .at(TimeOfDay(hour: 7, minute: 0), days: [.mon, .tue, .wed, .thu, .fri]))
        #expect(first.jitter == .seconds(30))
        #expect(first.catchUp == .seconds(1800))
        #expect(routine.triggers[1].kind == .at(TimeOfDay(hour: 8, minute: 15, second: 30), days: nil))
        if case .cron(let cron) = routine.triggers[2].kind {
            #expect(cron.daysOfWeek == 0b100_0001)
            #expect(cron.hourIsFixed)
            #expect(cron.minutes == 1 << 30)
        } else {
            Issue.record("trigger 2 is not cron")
        }
        #expect(routine.triggers[2].timezone == "Europe/Berlin")
        #expect(routine.triggers[5].kind == .every(.seconds(5400)))
        #expect(routine.triggers[6].kind == .every(.seconds(90)))
        #expect(routine.triggers[7].kind == .sun(.sunrise, offset: .seconds(-900)))
        #expect(
            routine.triggers[10].kind
                == .event(name: "device.connected", match: ["kind": ["headphones", "headset"], "name": ["My Buds"]]))
        #expect(routine.triggers[11].kind == .idle(output: "headphones", for: .seconds(240)))
        #expect(routine.triggers[12].kind == .startup)

        #expect(
            routine.conditions[1]
                == .time(after: TimeOfDay(hour: 22, minute: 0), before: TimeOfDay(hour: 6, minute: 30)))
        #expect(routine.conditions[4] == .connected("AA:BB:CC:DD:EE:FF"))
        #expect(routine.conditions[5] == .not(.headphoneMode(false)))

        #expect(routine.actions[0] == Action(.play(PlaySpec(file: "chime.wav", gain: -6))))
        #expect(
            routine.actions[2].kind
                == .tone(
                    ToneSpec(
                        frequency: 880, duration: .milliseconds(250), level: -12, fade: .milliseconds(10),
                        waveform: .triangle)))
        #expect(routine.actions[4].kind == .keepAlive(KeepAliveSpec()))
        #expect(
            routine.actions[5].kind
                == .keepAlive(
                    KeepAliveSpec(
                        signal: .brown, level: -45, duration: .seconds(3), fade: .milliseconds(100),
                        output: "headphones")))
        if case .announce(let spec) = routine.actions[8].kind {
            #expect(spec.voice == "en-us")
            #expect(spec.rate == 160)
            #expect(spec.chime == .file("chime.wav"))
            #expect(spec.output == "headphones")
        } else {
            Issue.record("action 8 is not announce")
        }
        if case .announce(let spec) = routine.actions[9].kind { #expect(spec.chime == Chime.none) }
        #expect(routine.actions[11].kind == .volume(output: "speakers", level: 40))
        #expect(
            routine.actions[13].kind == .emit(name: "morning.done", data: ["who": "me", "count": "3", "ok": "true"]))
        #expect(routine.actions[14] == Action(.run("other-routine"), continueOnError: true))
    }

    @Test func zeroKeepAliveLoadsWithAWarning() throws {
        let url = Fixtures.root.appendingPathComponent("valid/keepalive-zero-warns.json")
        let result = try Fixtures.decodeRoutine(url)
        #expect(result.value != nil)
        let warning = try #require(result.diagnostics.first)
        #expect(warning.severity == .warning)
        #expect(warning.path == "actions[0].keepAlive.signal")
        #expect(warning.message.contains("digital silence"))
    }

    @Test func defaultsApply() throws {
        let result = RoutineDecoder.decode(
            Array(#"{"triggers":[{"startup":true}],"actions":[{"keepAlive":{}}]}"#.utf8), file: "d.json")
        let routine = try #require(result.value)
        #expect(routine.enabled)
        #expect(routine.mode == .single)
        #expect(routine.max == 10)
        #expect(routine.description == nil)
        #expect(
            routine.actions[0].kind
                == .keepAlive(
                    KeepAliveSpec(
                        signal: .sine, frequency: 20, level: -42, duration: .seconds(2), fade: .milliseconds(50))))
    }

    @Test func configDefaultsAndValues() throws {
        let empty = try #require(ConfigDecoder.decode(Array("{}".utf8), file: "c.json").value)
        #expect(empty == Config.defaults)
        #expect(empty.outputs["speakers"]?.pcm == "default")
        #expect(empty.outputs["headphones"]?.pcm == "bluealsa")
        let url = Fixtures.root.appendingPathComponent("config/valid/full.json")
        let full = try #require(ConfigDecoder.decode(try Fixtures.bytes(url), file: "full.json").value)
        #expect(
            full.outputs["headphones"]
                == OutputConfig(
                    pcm: "bluealsa", bluetooth: "AA:BB:CC:DD:EE:FF", leadIn: .milliseconds(300), mixer: "A2DP"))
        #expect(full.location == Location(latitude: 52.52, longitude: 13.405))
        #expect(full.http == HTTPConfig(listen: "127.0.0.1:8787", tokenFile: "~/.config/routines/token"))
        #expect(full.timezone == "Europe/Berlin")
        #expect(full.maxConnections == 32)
        #expect(empty.maxConnections == 64)
    }
}
