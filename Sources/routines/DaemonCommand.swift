import ArgumentParser

extension Routines {
    /// `routines daemon`: runs the routine engine (not built yet in this version).
    struct Daemon: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the routine engine in the foreground (for systemd or a terminal)."
        )

        @Option(help: "Folder of routine files (default: $XDG_CONFIG_HOME/routines/routines, or $ROUTINES_DIR).")
        var routines: String?

        @Option(help: "Folder of audio files routines may play; repeatable, searched in order.")
        var audio: [String] = []

        @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/routines/config.json, optional).")
        var config: String?

        @Option(help: "Folder for state and history (default: $XDG_STATE_HOME/routines).")
        var state: String?

        @Option(help: "Control socket path (default: $XDG_RUNTIME_DIR/routines.sock, or $ROUTINES_SOCKET).")
        var socket: String?

        func run() throws {
            throw CLIError(
                "the daemon is not built yet in this version; 'routines validate' and 'routines next --file/--trigger' work offline"
            )
        }
    }
}
