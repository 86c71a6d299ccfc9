import Foundation
import Testing

@testable import RoutineModel

/// Every invalid fixture fails with the message fragment at the JSON path (or position) it names.
@Suite struct InvalidFixtureTests {
    @Test func thereAreAtLeastFortyInvalidRoutineFixtures() throws {
        let files = try Fixtures.files("invalid")
        let expectations = try Fixtures.expectations("invalid")
        #expect(files.count >= 40)
        #expect(Set(files.map(\.lastPathComponent)) == Set(expectations.keys), "every fixture has an expectation")
    }

    @Test(arguments: try Fixtures.files("invalid"))
    func invalidRoutineFixture(_ url: URL) throws {
        let expected = try #require(try Fixtures.expectations("invalid")[url.lastPathComponent])
        let result = try Fixtures.decodeRoutine(url)
        #expect(result.value == nil, "\(url.lastPathComponent) must not decode")
        #expect(!result.errors.isEmpty)
        let matching = result.errors.filter { diagnostic in
            guard diagnostic.message.contains(expected.message) else { return false }
            if let line = expected.line {
                return diagnostic.line == line && diagnostic.column == expected.column
            }
            return (diagnostic.path ?? "") == (expected.path ?? "")
        }
        #expect(
            !matching.isEmpty,
            "\(url.lastPathComponent): expected \(expected.path ?? "\(expected.line ?? 0):\(expected.column ?? 0)"): …\(expected.message)…, got \(result.errors.map(\.description))"
        )
    }

    @Test(arguments: try Fixtures.files("config/invalid"))
    func invalidConfigFixture(_ url: URL) throws {
        let expected = try #require(try Fixtures.expectations("config/invalid")[url.lastPathComponent])
        let result = ConfigDecoder.decode(try Fixtures.bytes(url), file: url.lastPathComponent)
        #expect(result.value == nil)
        #expect(
            result.errors.contains {
                ($0.path ?? "") == (expected.path ?? "") && $0.message.contains(expected.message)
            },
            "\(url.lastPathComponent): got \(result.errors.map(\.description))")
    }

    @Test func allProblemsOfAFileAreReportedAtOnce() throws {
        let text = """
            {"triggers": [{"at": "25:00"}, {"cron": "0 0 * *"}],
             "actions": [{"tone": {"level": 3}}, {"wait": "soon"}], "mood": "single"}
            """
        let result = RoutineDecoder.decode(Array(text.utf8), file: "many.json")
        #expect(result.errors.count == 5, "\(result.errors.map(\.description))")
    }

    @Test func fileNameMustBeARoutineName() {
        let result = RoutineDecoder.decode(
            Array(#"{"triggers":[{"startup":true}],"actions":[{"wait":1}]}"#.utf8), file: "dir/Good Morning.json")
        #expect(result.value == nil)
        #expect(result.errors.first?.message.contains("does not make a routine name") == true)
    }

    @Test func unknownOutputIsAnErrorWithAConfig() {
        let text = #"{"triggers":[{"idle":"headfones","for":"4m"}],"actions":[{"play":"a.wav","output":"speakrs"}]}"#
        let result = RoutineDecoder.decode(Array(text.utf8), file: "x.json", config: Config())
        let messages = result.errors.map(\.description)
        #expect(messages.contains("x.json: triggers[0].idle: unknown output 'headfones'; did you mean 'headphones'?"))
        #expect(messages.contains("x.json: actions[0].output: unknown output 'speakrs'; did you mean 'speakers'?"))
        // Without a config the names are not checked.
        #expect(RoutineDecoder.decode(Array(text.utf8), file: "x.json").value != nil)
    }

    @Test func speechEngineOfAVoiceMustBeConfigured() {
        var config = Config()
        config.speech.engines["piper"] = SpeechEngineConfig(host: "127.0.0.1", port: 10200)
        func errors(_ voice: String, _ config: Config?) -> [String] {
            let text = #"{"triggers":[{"startup":true}],"actions":[{"announce":"Hi","voice":"\#(voice)"}]}"#
            return RoutineDecoder.decode(Array(text.utf8), file: "x.json", config: config).errors.map(\.description)
        }
        #expect(
            errors("pipr:en_US-joe-medium", config) == [
                "x.json: actions[0].voice: names the speech engine 'pipr', which config.json's 'speech.engines' does not define; did you mean 'piper'?"
            ])
        #expect(errors("piper:en_US-joe-medium", config).isEmpty)
        #expect(errors("piper", config).isEmpty)
        #expect(errors("espeak-ng:de", config).isEmpty)
        #expect(errors("en-us", config).isEmpty)
        // Without a config the engines are not checked.
        #expect(errors("pipr:x", nil).isEmpty)
    }

    @Test func speechVoicesSplitIntoEngineAndVoice() {
        var speech = SpeechConfig(defaultEngine: "piper")
        speech.engines["piper"] = SpeechEngineConfig(host: "::1", port: 10200)
        #expect(
            SpeechVoice("piper:en_US-joe-medium", config: speech)
                == SpeechVoice(engine: "piper", voice: "en_US-joe-medium"))
        #expect(SpeechVoice("piper", config: speech) == SpeechVoice(engine: "piper", voice: nil))
        #expect(SpeechVoice("piper:", config: speech) == SpeechVoice(engine: "piper", voice: nil))
        #expect(SpeechVoice("", config: speech) == SpeechVoice(engine: "piper", voice: nil))
        #expect(SpeechVoice("de+f3", config: speech) == SpeechVoice(engine: "espeak-ng", voice: "de+f3"))
        #expect(SpeechVoice("espeak-ng:de", config: speech) == SpeechVoice(engine: "espeak-ng", voice: "de"))
        #expect(SpeechVoice("", config: SpeechConfig()) == SpeechVoice(engine: "espeak-ng", voice: nil))
        #expect(speech.engines["piper"]?.uri == "tcp://[::1]:10200")
        #expect(ConfigDecoder.parseTCPURI("tcp://[::1]:10200")! == ("::1", 10200))
        #expect(ConfigDecoder.parseTCPURI("tcp://:10200") == nil)
        #expect(ConfigDecoder.parseTCPURI("tcp://host") == nil)
        #expect(ConfigDecoder.parseTCPURI("unix:///run/piper.sock") == nil)
    }

    @Test func diagnosticsPrintAsValidatePrintsThem() {
        #expect(Diagnostic(file: "a.json", line: 3, column: 7, message: "m").description == "a.json:3:7: m")
        #expect(
            Diagnostic(file: "a.json", path: "actions[2].tone.frequency", message: "m").description
                == "a.json: actions[2].tone.frequency: m")
        #expect(Diagnostic(file: "a.json", path: "", message: "m").description == "a.json: m")
        #expect(
            Diagnostic(severity: .warning, file: "a.json", path: "x", message: "m").description
                == "a.json: x: warning: m")
    }
}
