import FoundationEssentials
import SystemIO

/// The folders and files of SPEC §2, from flags, then environment, then XDG defaults.
public struct DaemonPaths: Sendable, Equatable {
    public var routines: String
    public var audio: [String]
    /// The config file; `configExplicit` says whether the user named it (then it must exist).
    public var config: String
    public var configExplicit: Bool
    public var state: String
    public var socket: String

    /// Resolves every path. `shippedAudio` is appended to the audio folders when it exists.
    public static func resolve(
        routines: String?, audio: [String], config: String?, state: String?, socket: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment, shippedAudio: String?
    ) -> DaemonPaths {
        func nonEmpty(_ key: String) -> String? {
            guard let value = environment[key], !value.isEmpty else { return nil }
            return value
        }
        let home = nonEmpty("HOME") ?? "/"
        let configHome = nonEmpty("XDG_CONFIG_HOME").flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.config"
        let stateHome = nonEmpty("XDG_STATE_HOME").flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/state"
        let runtime = nonEmpty("XDG_RUNTIME_DIR")
        var audioFolders = audio.isEmpty ? [configHome + "/routines/audio"] : audio
        if let shippedAudio, !audioFolders.contains(shippedAudio) { audioFolders.append(shippedAudio) }
        return DaemonPaths(
            routines: routines ?? nonEmpty("ROUTINES_DIR") ?? configHome + "/routines/routines",
            audio: audioFolders,
            config: config ?? configHome + "/routines/config.json",
            configExplicit: config != nil,
            state: state ?? stateHome + "/routines",
            socket: socket ?? nonEmpty("ROUTINES_SOCKET") ?? runtime.map { $0 + "/routines.sock" }
                ?? "/tmp/routines-\(CurrentProcess.userID).sock"
        )
    }
}
