import ArgumentParser
import CommandSupport
import SystemIO

extension Routines {
    /// `routines daemon`: runs the routine engine in the foreground.
    ///
    /// The engine lives in its own executable, `routines-daemon`, installed next to `routines`, so
    /// the client commands (`routines trigger` …) stay small and start fast; this command replaces
    /// itself with it (`execv`), keeping the process id systemd watches.
    struct DaemonCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "daemon",
            abstract: "Run the routine engine in the foreground (for systemd or a terminal).",
            discussion: """
                Loads the routines folder (and watches it: changes apply at once), serves the control API \
                on the socket, runs schedules, events and idle triggers, and stops gracefully on SIGTERM or \
                SIGINT. Logs go to standard error with journald priorities.
                """
        )

        @OptionGroup var arguments: DaemonArguments

        func run() throws {
            let executable = CommandPaths.parent(ExecutablePath.current()) + "/routines-daemon"
            guard ChildProcess.isExecutable(executable) else {
                throw CLIError("cannot find \(executable), which runs the daemon; reinstall routines (make install)")
            }
            // Everything after "daemon" goes through unchanged.
            let all = CommandLine.arguments
            let rest = all.firstIndex(of: "daemon").map { Array(all[(all.index(after: $0))...]) } ?? []
            do {
                try ChildProcess.replaceCurrent(with: executable, arguments: rest)
            } catch {
                throw CLIError("cannot run \(executable): \(error.errno)")
            }
        }
    }
}
