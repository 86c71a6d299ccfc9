import Audio
import Engine
import FoundationEssentials
import RoutineModel

/// The engine's `AudioOutput` when some outputs name a sink: those play through the audio server
/// (one `SinkPlayer` each, one `AudioServer` connection for all), the others through ALSA's
/// `AudioRouter`. Without sink outputs no connection to an audio server is made at all.
public final class CombinedAudioOutput: AudioOutput {
    public let alsa: AudioRouter
    public let server: AudioServer?
    public let sinkPlayers: [String: SinkPlayer]

    /// `onSinkState` hears each sink output's state (server reachable, sink present, another
    /// program playing), in order, on the server's loop thread.
    public init(
        config: Config, alsa: AudioRouter, onWrite: @escaping @Sendable (String) -> Void,
        onSinkState: @escaping @Sendable (String, SinkState) -> Void,
        onFirstFrame: (@Sendable (String) -> Void)? = nil
    ) {
        self.alsa = alsa
        let sinks = config.outputs.compactMapValues(\.sink)
        guard !sinks.isEmpty else {
            server = nil
            sinkPlayers = [:]
            return
        }
        let server = AudioServer(sinkOutputs: sinks, onState: onSinkState)
        var players: [String: SinkPlayer] = [:]
        for (output, sink) in sinks {
            let player = SinkPlayer(output: output, sink: sink, server: server, onWrite: onWrite)
            player.onFirstFrame = onFirstFrame
            players[output] = player
        }
        self.server = server
        sinkPlayers = players
        server.start()
    }

    public func play(_ items: [AudioItem], on output: String, priority: AudioPriority) async throws {
        guard let player = sinkPlayers[output] else {
            try await alsa.play(items, on: output, priority: priority)
            return
        }
        try await player.play(items, priority: priority, runStart: RunLatencyProbe.current?.claim())
    }

    public func setVolume(_ level: Int, on output: String) async throws {
        guard let player = sinkPlayers[output] else {
            try await alsa.setVolume(level, on: output)
            return
        }
        try await player.setVolume(level)
    }

    /// Disconnects from the audio server and waits until its loop thread ended (at shutdown).
    public func close() async {
        await server?.stopAndFinish()
    }

    /// Whether the output plays now (`routines outputs`): nil when it does, else why not.
    public func check(_ output: String) async -> String? {
        if let player = sinkPlayers[output] { return await player.check() }
        guard let player = alsa.players[output] else { return "output '\(output)' is not configured" }
        return player.testOpen()
    }
}
