import ArgumentParser

/// The `routines` command: the daemon, its client and the offline tools.
@main
struct Routines: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routines",
        abstract: "Run declarative JSON routines: schedules, events, sounds, speech and Bluetooth keep-alive.",
        discussion: """
            Routines are JSON files in a folder (one routine each, named after the file). The daemon \
            runs them on schedules, events and idle outputs; the other commands talk to it over its \
            control socket, or work offline (validate, next --file/--trigger).
            """,
        version: "0.1.0",
        subcommands: [
            DaemonCommand.self, TriggerCommand.self, EventCommand.self, List.self, Next.self, Validate.self,
            Status.self, Headphones.self,
            History.self, Outputs.self, Say.self, Stop.self, Enable.self, Disable.self, Service.self,
        ]
    )

    /// Runs the command; a `CLIError` prints as one line `routines: MESSAGE` and exits 1.
    /// Synchronous on purpose: no command needs Swift concurrency, and an async `main` starts its
    /// runtime first, which every `routines trigger` would pay for.
    static func main() {
        do {
            if let trigger = TriggerCommand.fastPath(CommandLine.arguments.dropFirst()) {
                try TriggerCommand.trigger(
                    trigger.name, wait: trigger.wait, force: trigger.force, client: DaemonClient(socket: trigger.socket)
                )
                return
            }
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            printError("routines: \(error.message)")
            exit(withError: ExitCode(1))
        } catch {
            exit(withError: error)
        }
    }
}
