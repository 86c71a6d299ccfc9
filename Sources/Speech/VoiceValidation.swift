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
    public func voiceDiagnostics(for routine: Routine, file: String) async -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var checked: [String: VoiceCheck] = [:]
        for (index, action) in routine.actions.enumerated() {
            guard case .announce(let spec) = action.kind else { continue }
            let path = "actions[\(index)].voice"
            let check: VoiceCheck
            if let known = checked[spec.voice] {
                check = known
            } else {
                do {
                    check = try await checkVoice(spec.voice)
                } catch {
                    return diagnostics + [Diagnostic(file: file, path: "actions[\(index)]", message: error.description)]
                }
                checked[spec.voice] = check
            }
            if case .unknown(let suggestions) = check {
                let message = SpeechError.unknownVoiceMessage(spec.voice, suggestions: suggestions)
                diagnostics.append(Diagnostic(file: file, path: path, message: message))
            }
        }
        return diagnostics
    }
}
