import ArgumentParser

/// The options of `routines daemon` (parsed by both executables, so `routines daemon --help` is exact).
public struct DaemonArguments: ParsableArguments {
    @Option(help: "Folder of routine files (default: $ROUTINES_DIR, else $XDG_CONFIG_HOME/routines/routines).")
    public var routines: String?

    @Option(help: "Folder of audio files routines may play; repeatable, searched in order before the shipped sounds.")
    public var audio: [String] = []

    @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/routines/config.json; optional).")
    public var config: String?

    @Option(help: "Folder for state and history (default: $XDG_STATE_HOME/routines).")
    public var state: String?

    @Option(
        help:
            "Control socket path (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock)."
    )
    public var socket: String?

    @Option(help: "Log level: debug, info, notice, warning or error.")
    public var logLevel: String = "info"

    public init() {}

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public func validate() throws {
        guard Self.logLevels.contains(logLevel.lowercased()) else {
            throw ValidationError("--log-level must be one of debug, info, notice, warning, error; got '\(logLevel)'.")
        }
    }
}
