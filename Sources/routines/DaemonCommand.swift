import ArgumentParser
import Daemon

extension Routines {
    /// `routines daemon`: runs the routine engine in the foreground.
    struct DaemonCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "daemon",
            abstract: "Run the routine engine in the foreground (for systemd or a terminal).",
            discussion: """
                Loads the routines folder (and watches it: changes apply at once), serves the control API \
                on the socket, runs schedules, events and idle triggers, and stops gracefully on SIGTERM or \
                SIGINT. Logs go to standard error with journald priorities.
                """
        )

        @Option(help: "Folder of routine files (default: $ROUTINES_DIR, else $XDG_CONFIG_HOME/routines/routines).")
        var routines: String?

        @Option(help: "Folder of audio files routines may play; repeatable, searched in order before the shipped sounds.")
        var audio: [String] = []

        @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/routines/config.json; optional).")
        var config: String?

        @Option(help: "Folder for state and history (default: $XDG_STATE_HOME/routines).")
        var state: String?

        @Option(help: "Control socket path (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock).")
        var socket: String?

        @Option(help: "Log level: debug, info, notice, warning or error.")
        var logLevel: String = "info"

        func validate() throws {
            guard JournalLogHandler.level(logLevel) != nil else {
                throw ValidationError("--log-level must be one of debug, info, notice, warning, error; got '\(logLevel)'.")
            }
        }

        func run() async throws {
            let paths = DaemonPaths.resolve(
                routines: routines, audio: audio, config: config, state: state, socket: socket,
                shippedAudio: ShippedFiles.locate()?.audio)
            var options = DaemonOptions(
                paths: paths, logLevel: JournalLogHandler.level(logLevel) ?? .info, version: Routines.configuration.version)
            options.audio = nil
            do {
                try await DaemonRuntime.run(options)
            } catch let error as DaemonStartError {
                throw CLIError(error.message)
            }
        }
    }
}
