import CALSA
import Engine
import FoundationEssentials
import RoutineModel

/// The engine's `AudioOutput` over ALSA: one `OutputPlayer` per configured output.
public final class AudioRouter: AudioOutput {
    public let players: [String: OutputPlayer]
    let config: Config

    /// `configFile`: an ALSA configuration file whose PCM definitions are used instead of the
    /// system's (tests use ALSA's `file` plugin this way); nil: the normal ALSA configuration.
    public init(
        config: Config, configFile: String? = nil, linger: Double = 2,
        onWrite: @escaping @Sendable (String) -> Void = { _ in },
        onAvailability: @escaping @Sendable (String, Bool, String?) -> Void = { _, _, _ in },
        onFirstFrame: (@Sendable (String) -> Void)? = nil
    ) {
        self.config = config
        var players: [String: OutputPlayer] = [:]
        for (name, output) in config.outputs {
            players[name] = OutputPlayer(
                output: name, pcm: output.pcm, configFile: configFile, linger: linger, onWrite: onWrite,
                onAvailability: onAvailability, onFirstFrame: onFirstFrame)
        }
        self.players = players
    }

    public func play(_ items: [AudioItem], on output: String, priority: AudioPriority) async throws {
        guard let player = players[output] else {
            throw EngineError("unknown output '\(output)'; outputs: \(players.keys.sorted().joined(separator: ", "))")
        }
        try await player.play(items, priority: priority, runStart: RunLatencyProbe.current?.claim())
    }

    public func setVolume(_ level: Int, on output: String) async throws {
        guard let settings = config.outputs[output] else { throw EngineError("unknown output '\(output)'") }
        guard let element = settings.mixer else {
            throw EngineError(
                "output '\(output)' has no \"mixer\" in the config; name its ALSA mixer control to set the volume")
        }
        try Mixer.setVolume(level, element: element, output: output, pcm: settings.pcm)
    }
}

/// ALSA simple mixer access for the `volume` action.
enum Mixer {
    static func setVolume(_ level: Int, element name: String, output: String, pcm: String) throws {
        routines_alsa_quiet()
        var mixer: OpaquePointer?
        var err = snd_mixer_open(&mixer, 0)
        guard err >= 0, let mixer else {
            throw AudioError(output: output, pcm: pcm, function: "snd_mixer_open", code: err)
        }
        defer { snd_mixer_close(mixer) }
        let card =
            pcm.hasPrefix("hw:") || pcm.hasPrefix("plughw:")
            ? "hw:" + (pcm.split(separator: ":").last.map { String($0.split(separator: ",").first ?? "0") } ?? "0")
            : "default"
        err = snd_mixer_attach(mixer, card)
        guard err >= 0 else {
            throw AudioError(output: output, pcm: pcm, function: "snd_mixer_attach(\(card))", code: err)
        }
        err = snd_mixer_selem_register(mixer, nil, nil)
        guard err >= 0 else {
            throw AudioError(output: output, pcm: pcm, function: "snd_mixer_selem_register", code: err)
        }
        err = snd_mixer_load(mixer)
        guard err >= 0 else { throw AudioError(output: output, pcm: pcm, function: "snd_mixer_load", code: err) }
        var element = snd_mixer_first_elem(mixer)
        while let current = element {
            if String(cString: snd_mixer_selem_get_name(current)) == name {
                var low = 0
                var high = 0
                snd_mixer_selem_get_playback_volume_range(current, &low, &high)
                let value = low + (high - low) * level / 100
                err = snd_mixer_selem_set_playback_volume_all(current, value)
                guard err >= 0 else {
                    throw AudioError(
                        output: output, pcm: pcm, function: "snd_mixer_selem_set_playback_volume_all", code: err)
                }
                return
            }
            element = snd_mixer_elem_next(current)
        }
        throw AudioError(
            output: output, pcm: pcm, function: "snd_mixer_find_selem",
            message: "no mixer control named '\(name)' on \(card)")
    }
}
