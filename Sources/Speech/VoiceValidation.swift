import RoutineModel

/// The answer to "does espeak-ng know this voice?".
public enum VoiceCheck: Sendable, Equatable {
    /// espeak-ng accepts the name, as `espeak-ng -v NAME` would.
    case known
    /// espeak-ng does not know it; `suggestions` are close matches from its own voice list.
    case unknown(suggestions: [String])
}

extension EspeakSynthesizer {
    /// The voices espeak-ng has installed (variants and MBROLA voices excluded).
    public func voices() async throws(SpeechError) -> [Voice] {
        try await EspeakLibrary.shared.voices()
    }

    /// Checks `name` against espeak-ng itself: by voice name or file, else by language, as
    /// `espeak-ng -v NAME` does. Unknown names come with close matches for a "did you mean" hint.
    public func checkVoice(_ name: String) async throws(SpeechError) -> VoiceCheck {
        let library = EspeakLibrary.shared
        if try await library.accepts(voice: name) {
            return .known
        }
        return .unknown(suggestions: VoiceCatalog(voices: try await library.voices()).suggestions(for: name))
    }

    /// Problems with the voices of a routine's `announce` actions, as `routines validate` prints them
    /// (`FILE: actions[1].voice: unknown voice 'englsh'; did you mean 'en', 'en-gb', 'en-us'?`).
    ///
    /// The daemon calls this when it loads a routine (the model cannot ask espeak-ng). When the
    /// library cannot start at all, that is reported once, on the first announcement.
    /// `espeakVoice` maps an announcement's `voice` to the espeak-ng voice to check (nil: not
    /// espeak-ng's, or its default); by default every non-empty voice is one.
    public func voiceDiagnostics(
        for routine: Routine, file: String,
        espeakVoice: (String) -> String? = { $0.isEmpty ? nil : $0 }
    ) async -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var checked: [String: VoiceCheck] = [:]
        for (index, action) in routine.actions.enumerated() {
            guard case .announce(let announce) = action.kind, let voice = espeakVoice(announce.voice) else { continue }
            let path = "actions[\(index)].voice"
            let check: VoiceCheck
            if let known = checked[voice] {
                check = known
            } else {
                do {
                    check = try await checkVoice(voice)
                } catch {
                    return diagnostics + [Diagnostic(file: file, path: "actions[\(index)]", message: error.description)]
                }
                checked[voice] = check
            }
            if case .unknown(let suggestions) = check {
                let message = SpeechError.unknownVoiceMessage(voice, suggestions: suggestions)
                diagnostics.append(Diagnostic(file: file, path: path, message: message))
            }
        }
        return diagnostics
    }
}
