import ArgumentParser

/// The `routines` command: the daemon, its client and the offline tools.
@main
struct Routines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routines",
        abstract: "Run declarative JSON routines: schedules, events, sounds, speech and Bluetooth keep-alive.",
        version: "0.1.0",
        subcommands: []
    )
}
