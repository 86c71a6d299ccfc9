import RoutineModel
import Testing

@testable import Speech

@Suite("espeak-ng's voices and voice validation")
struct VoiceValidationTests {
    @Test("the voice list has espeak-ng's English voices with their languages")
    func listsVoices() async throws {
        let voices = try await EspeakSynthesizer().voices()
        #expect(voices.count > 50)
        let america = voices.first { $0.identifier == "gmw/en-US" }
        #expect(america?.name == "English (America)")
        #expect(america?.code == "en-us")
        #expect(america?.languages.contains(Voice.Language(code: "en", priority: 3)) == true)
        #expect(!voices.contains { $0.identifier.hasPrefix("mb/") })
        let catalog = VoiceCatalog(voices: voices)
        #expect(catalog.codes.contains("en"))
        #expect(catalog.codes.contains("de"))
    }

    // As `espeak-ng -v`: an unknown dialect of a known language falls back to the language (`de-xx`).
    @Test(
        "names espeak-ng -v accepts are known",
        arguments: ["en", "en-us", "EN-US", "en-gb-x-rp", "de", "de-xx", "en+f3"])
    func knownVoices(name: String) async throws {
        #expect(try await EspeakSynthesizer().checkVoice(name) == .known)
    }

    @Test(
        "unknown names get close matches",
        arguments: [
            ("englsh", ["en", "en-gb", "en-us"]),
            ("germn", ["de"]),
            ("enn-us", ["en-us"]),
            ("ukrainan", ["uk"]),
            ("frnch", ["fr"]),
        ])
    func suggestions(name: String, expected: [String]) async throws {
        let check = try await EspeakSynthesizer().checkVoice(name)
        guard case .unknown(let suggestions) = check else {
            Issue.record("'\(name)' should be unknown")
            return
        }
        #expect(suggestions.starts(with: expected) || Set(expected).isSubset(of: Set(suggestions)), "\(suggestions)")
    }

    @Test("nothing close: no suggestions, and the message says where to look")
    func noSuggestion() async throws {
        #expect(try await EspeakSynthesizer().checkVoice("qqqqqqqq") == .unknown(suggestions: []))
        #expect(try await EspeakSynthesizer().checkVoice("") == .unknown(suggestions: []))
        let message = SpeechError.unknownVoice("qqqqqqqq", suggestions: []).description
        #expect(message == "unknown voice 'qqqqqqqq'; `espeak-ng --voices` lists the voices installed")
    }

    @Test("a routine's unknown voices become diagnostics at their JSON path")
    func routineDiagnostics() async throws {
        let routine = Routine(
            name: "good-morning", triggers: [Trigger(kind: .startup)],
            actions: [
                Action(.wait(.seconds(1))),
                Action(.announce(AnnounceSpec(text: "Good morning", voice: "englsh"))),
                Action(.announce(AnnounceSpec(text: "Guten Morgen", voice: "de"))),
            ])
        let diagnostics = await EspeakSynthesizer().voiceDiagnostics(for: routine, file: "good-morning.json")
        #expect(diagnostics.count == 1)
        #expect(
            diagnostics.first?.description
                == "good-morning.json: actions[1].voice: unknown voice 'englsh'; did you mean 'en', 'en-gb', 'en-us'?")
    }

    @Test("edit distance")
    func distance() {
        #expect(VoiceCatalog.distance("englsh", "english") == 1)
        #expect(VoiceCatalog.distance("", "abc") == 3)
        #expect(VoiceCatalog.distance("kitten", "sitting") == 3)
    }

    @Test("suggestions from a fixed list prefer espeak-ng's preferred voices")
    func fixedCatalog() {
        let catalog = VoiceCatalog(voices: [
            Voice(
                name: "English_(America)", identifier: "gmw/en-US",
                languages: [.init(code: "en-us", priority: 2), .init(code: "en", priority: 3)]),
            Voice(
                name: "English_(Caribbean)", identifier: "gmw/en-029",
                languages: [.init(code: "en-029", priority: 5), .init(code: "en", priority: 10)]),
            Voice(name: "english-mb-en1", identifier: "mb/mb-en1", languages: [.init(code: "en-uk", priority: 3)]),
            Voice(name: "Estonian", identifier: "urj/et", languages: [.init(code: "et", priority: 5)]),
        ])
        #expect(catalog.suggestions(for: "englsh") == ["en-us", "en", "en-029"])
        #expect(catalog.suggestions(for: "EN-US").first == "en-us")
        #expect(!catalog.codes.contains("en-uk"))  // MBROLA voices need an extra program
        #expect(catalog.suggestions(for: "englsh", limit: 1) == ["en-us"])
    }
}
