import ArgumentParser
import ControlAPI
import RoutineModel

extension Routines {
    /// `routines stop NAME | --all`.
    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the runs of a routine (their audio ends at once) and drop its queued runs.",
            discussion: """
                Stopped runs end 'cancelled' in the history. Stopping a routine that is not running \
                says so and exits 0.
                """)

        @Argument(help: "The routine's name (its file name without .json).")
        var name: String?

        @Flag(help: "Stop every running and queued run of every routine.")
        var all = false

        @OptionGroup var options: ClientOptions

        func validate() throws {
            switch (name, all) {
            case (nil, false): throw ValidationError("Name a routine to stop, or pass --all.")
            case (.some, true): throw ValidationError("Give a routine name or --all, not both.")
            case (.some(let name), false): try validateRoutineName(name)
            case (nil, true): break
            }
        }

        func run() throws {
            if let name {
                let reply = try call(options.client, "POST", "/routines/\(urlEncode(name))/stop")
                print(Self.describe(try reply.decode(StopReply.self)))
                return
            }
            let stopped = try call(options.client, "POST", "/stop").decode([StopReply].self)
            if stopped.isEmpty {
                print("nothing was running")
            }
            for entry in stopped { print(Self.describe(entry)) }
        }

        static func describe(_ reply: StopReply) -> String {
            let name = reply.routine
            let stopped = reply.stopped.count
            let dropped = reply.dropped.count
            if stopped == 0 && dropped == 0 { return "\(name) is not running" }
            var parts: [String] = []
            if stopped > 0 { parts.append("stopped \(stopped) run\(stopped == 1 ? "" : "s")") }
            if dropped > 0 { parts.append("dropped \(dropped) queued run\(dropped == 1 ? "" : "s")") }
            return "\(name): " + parts.joined(separator: ", ")
        }
    }

    /// `routines enable NAME`.
    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a routine: its triggers start it again (kept across restarts and file reloads).")

        @Argument(help: "The routine's name (its file name without .json).")
        var name: String

        @OptionGroup var options: ClientOptions

        func validate() throws { try validateRoutineName(name) }

        func run() throws { try switchRoutine(name, on: true, options) }
    }

    /// `routines disable NAME`.
    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Disable a routine: no schedule, event or idle trigger starts it (kept across restarts and file reloads).",
            discussion:
                "Runs in progress go on; `routines stop NAME` ends them. `routines trigger NAME --force` still runs it."
        )

        @Argument(help: "The routine's name (its file name without .json).")
        var name: String

        @OptionGroup var options: ClientOptions

        func validate() throws { try validateRoutineName(name) }

        func run() throws { try switchRoutine(name, on: false, options) }
    }
}

/// `enable` / `disable`: asks the daemon and prints what it says the routine now is.
func switchRoutine(_ name: String, on: Bool, _ options: ClientOptions) throws {
    let reply = try call(options.client, "POST", "/routines/\(urlEncode(name))/\(on ? "enable" : "disable")")
        .decode(EnabledReply.self)
    print("\(name): \(reply.enabled ? "enabled" : "disabled")")
}

/// A routine name argument: lower-case letters, digits, '.', '_', '-'.
func validateRoutineName(_ name: String) throws {
    guard RoutineFileName.isValidName(name) else {
        throw ValidationError("'\(name)' is not a routine name (lower-case letters, digits, '.', '_', '-').")
    }
}
