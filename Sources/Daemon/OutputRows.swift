import ControlAPI
import Engine
import RoutineModel
import Schedule

/// The rows of `GET /outputs` (and the outputs of `GET /status`): each configured output as the
/// config names it and the engine last saw it, with the result of a test open when one was made.
enum OutputRows {
    /// One row per configured output, sorted by name. `testOpen` (only for `routines outputs`)
    /// opens each output once and returns the error, nil when it opens; `knownPCMs` lists the PCMs
    /// ALSA knows, offered when a PCM does not open.
    static func rows(
        config: Config, status: EngineStatus, zone: ZoneRules, testOpen: (@Sendable (String) async -> String?)?,
        knownPCMs: (@Sendable () -> [String])?
    ) async -> [OutputReply] {
        var openErrors: [String: String] = [:]
        if let testOpen {
            for name in config.outputs.keys { openErrors[name] = await testOpen(name) }
        }
        return config.outputs.keys.sorted().map { name -> OutputReply in
            let output = config.outputs[name]!
            let engineOutput = status.outputs.first { $0.name == name }
            let openError = openErrors[name]
            var hint: String?
            if openError != nil, output.sink == nil, let known = knownPCMs?(), !known.isEmpty {
                hint = "PCMs ALSA knows here (aplay -L): " + known.prefix(20).joined(separator: ", ")
            }
            return OutputReply(
                name: name, pcm: output.sink == nil ? output.pcm : nil, sink: output.sink, bluetooth: output.bluetooth,
                sinkProblem: engineOutput?.sinkProblem, otherAudio: output.sink == nil ? nil : engineOutput?.otherAudio,
                active: engineOutput?.active ?? false,
                // A PCM that does not open now is unavailable, whatever the engine last heard.
                // (A sink output's state is the audio server's word: a missing sink is inactive.)
                state: openError != nil && output.sink == nil
                    ? OutputState.unavailable.rawValue : (engineOutput?.state.rawValue ?? "inactive"),
                reason: openError ?? engineOutput?.reason,
                nextRetry: engineOutput?.nextRetry.map { zone.iso8601($0) },
                lastAudio: engineOutput?.lastAudio.map { zone.iso8601($0) },
                nextKeepAlive: engineOutput?.nextIdleFire.map { zone.iso8601($0) },
                burstsLastHour: engineOutput?.burstsLastHour ?? 0, opens: testOpen.map { _ in openError == nil },
                error: openError, hint: hint, isDefault: name == config.defaultOutput,
                headphone: config.hasHeadphoneOutput && name == config.headphoneOutput)
        }
    }
}
