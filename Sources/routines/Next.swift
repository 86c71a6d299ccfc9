import ArgumentParser
import ControlAPI
import FoundationEssentials
import RoutineModel
import Schedule

extension Routines {
    /// `routines next`: upcoming fires, offline from a file or a trigger, or from the daemon.
    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show upcoming fires of routines.",
            discussion: """
                With --file or --trigger it works offline (no daemon needed): --file takes a routine \
                file (or a folder of them), --trigger a single trigger object such as '{"cron":"30 2 * * \
                *"}'. Times are printed in --timezone, else the config's zone, else the system's.
                """
        )

        @Argument(help: "Only this routine (asks the daemon).")
        var name: String?

        @Option(help: "A routine file or folder to compute offline.")
        var file: String?

        @Option(help: "A trigger as JSON, e.g. '{\"at\":\"07:00\",\"days\":[\"mon\"]}'.")
        var trigger: String?

        @Option(help: "Start instant (ISO 8601, e.g. 2025-03-29T00:00:00+01:00; without an offset: in --timezone).")
        var from: String?

        @Option(help: "IANA time zone (Area/City) for triggers without their own and for the output.")
        var timezone: String?

        @Option(help: "A config.json whose timezone and location apply (location is needed for sun triggers).")
        var config: String?

        @Option(help: "How many fires to show (1–10000).")
        var count: Int = 5

        @Flag(help: "Print a JSON array of {routine, trigger, time}.")
        var json = false

        @Option(
            help:
                "Control socket, when asking the daemon (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock)."
        )
        var socket: String?

        func validate() throws {
            guard (1...10_000).contains(count) else {
                throw ValidationError("--count must be between 1 and 10000, got \(count).")
            }
            if file != nil && trigger != nil {
                throw ValidationError("Use either --file or --trigger, not both.")
            }
            if name != nil && (file != nil || trigger != nil) {
                throw ValidationError("A routine NAME asks the daemon; it does not combine with --file or --trigger.")
            }
        }

        func run() throws {
            guard file != nil || trigger != nil else {
                try askDaemon()
                return
            }
            var loadedConfig: Config?
            if let config {
                let result = loadConfigFile(config)
                for diagnostic in result.diagnostics { printError(diagnostic.description) }
                guard let value = result.value else { throw ExitCode(1) }
                loadedConfig = value
            }
            let zoneName = timezone ?? loadedConfig?.timezone
            let zone: ZoneRules
            do {
                zone =
                    try zoneName.map { name throws(ScheduleError) in try ZoneRules.named(name) } ?? ZoneRules.system()
            } catch {
                throw CLIError("--timezone: \(error.message)")
            }
            let start: Date
            if let from {
                guard let parsed = zone.parseISO8601(from) else {
                    throw CLIError(
                        "--from: '\(from)' is not an ISO 8601 instant; write e.g. 2025-03-29T00:00:00+01:00")
                }
                start = parsed
            } else {
                start = Date()
            }

            var sources: [(routine: String, triggers: [(label: String, trigger: Trigger)])] = []
            if let trigger {
                let result = RoutineDecoder.decodeTrigger(Array(trigger.utf8), file: "--trigger")
                for diagnostic in result.diagnostics { printError(diagnostic.description) }
                guard let value = result.value else { throw ExitCode(1) }
                sources.append((routine: "-", triggers: [(label: value.id ?? "0", trigger: value)]))
            } else if let file {
                let files: [String]
                switch routineFiles(at: file) {
                case .success(let found): files = found
                case .failure(let problem): throw CLIError("\(file): \(problem.message)")
                }
                var failed = false
                for path in files {
                    let result = loadRoutineFile(path, config: loadedConfig)
                    for diagnostic in result.diagnostics { printError(diagnostic.description) }
                    guard let routine = result.value else {
                        failed = true
                        continue
                    }
                    guard routine.enabled || files.count == 1 else {
                        if !json { printError("\(routine.name): disabled, not shown") }
                        continue
                    }
                    let labelled = routine.triggers.enumerated().map { (label: $1.id ?? String($0), trigger: $1) }
                    sources.append((routine: routine.name, triggers: labelled))
                }
                if failed { throw ExitCode(1) }
            }

            var fires: [UpcomingFire] = []
            for source in sources {
                for (label, trigger) in source.triggers {
                    guard trigger.isWallClock else {
                        if !json && sources.count == 1 {
                            printError(
                                "\(source.routine): trigger \(label) (\(trigger.kindName)) has no scheduled times")
                        }
                        continue
                    }
                    let schedule: TriggerSchedule
                    do {
                        schedule = try TriggerSchedule(
                            trigger: trigger, defaultTimeZone: zoneName, location: loadedConfig?.location)
                    } catch {
                        throw CLIError("\(source.routine): trigger \(label): \(error.message)")
                    }
                    for time in schedule.fires(after: start, count: count) {
                        fires.append(UpcomingFire(routine: source.routine, trigger: label, time: time))
                    }
                }
            }
            fires.sort { $0.time < $1.time || ($0.time == $1.time && $0.routine < $1.routine) }
            fires = Array(fires.prefix(count))

            if json {
                print(NextOutput.json(fires, zone: zone))
            } else {
                print(NextOutput.table(fires, zone: zone, reference: start), terminator: "")
            }
        }
    }
}

extension Routines.Next {
    /// `routines next [NAME]`: the daemon's upcoming fires.
    func askDaemon() throws {
        var path = "/next?count=\(count)"
        if let name { path += "&routine=\(urlEncode(name))" }
        let reply = try call(DaemonClient(socket: socket), "GET", path)
        if json {
            print(reply.json)
            return
        }
        let rows = try reply.decode([FireReply].self).map { [$0.routine, $0.trigger, $0.time] }
        print(rows.isEmpty ? "no upcoming fires" : table(["ROUTINE", "TRIGGER", "TIME"], rows))
    }
}

/// One upcoming fire.
struct UpcomingFire {
    var routine: String
    var trigger: String
    var time: Date
}

extension Trigger {
    /// The trigger's kind key as written in routine files.
    var kindName: String {
        switch kind {
        case .at: return "at"
        case .cron: return "cron"
        case .every: return "every"
        case .sun: return "sun"
        case .event: return "event"
        case .idle: return "idle"
        case .startup: return "startup"
        case .mqtt: return "mqtt"
        }
    }
}
