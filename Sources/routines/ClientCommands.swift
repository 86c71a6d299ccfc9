import ArgumentParser
import CommandSupport
import ControlAPI
import RoutineModel

/// Options every daemon client command takes.
struct ClientOptions: ParsableArguments {
    @Option(
        help:
            "Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock)."
    )
    var socket: String?

    var client: DaemonClient { DaemonClient(socket: socket) }
}

/// Calls the API with a request body (one of ControlAPI's requests).
func call(_ client: DaemonClient, _ method: String, _ path: String, sending body: some Encodable) throws(CLIError)
    -> APIReply
{
    try call(client, method, path, bytes: JSONText.encode(body))
}

/// Calls the API; a non-2xx reply becomes a one-line error with the daemon's message.
func call(_ client: DaemonClient, _ method: String, _ path: String, bytes: [UInt8]? = nil) throws(CLIError) -> APIReply
{
    let reply = try client.request(method, path, body: bytes)
    guard (200..<300).contains(reply.status) else {
        let message = (try? JSONText.decode(ErrorReply.self, from: reply.body))?.error ?? reply.text
        throw CLIError(message.isEmpty ? "the daemon answered HTTP \(reply.status)" : message)
    }
    return reply
}

extension APIReply {
    /// The reply as the API's type for it (ControlAPI, the daemon's own).
    func decode<Reply: Decodable>(_ type: Reply.Type) throws(CLIError) -> Reply {
        do {
            return try JSONText.decode(type, from: body)
        } catch {
            throw CLIError(
                "the daemon's reply is not what this routines command reads (\(error)); are the daemon and the command the same version? Restart the daemon after an update"
            )
        }
    }

    /// The daemon's JSON as it sent it (`--json`).
    var json: String { text.hasSuffix("\n") ? String(text.dropLast()) : text }
}

/// Percent-encodes a path segment or query value.
func urlEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            out += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out
}

/// A cell for a table: a value as it is, none as "-".
func cell(_ value: String?) -> String { value ?? "-" }

/// A yes/no cell, none as "-".
func cell(_ value: Bool?) -> String { value.map { $0 ? "yes" : "no" } ?? "-" }

/// Left-aligned columns separated by two spaces.
func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (index, value) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], value.count)
        }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, value in
            index == cells.count - 1 ? value : value + String(repeating: " ", count: widths[index] - value.count)
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

extension Routines {
    /// `routines trigger NAME [--wait]`.
    struct TriggerCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trigger",
            abstract: "Start a routine now (its conditions are skipped).")

        @Argument(help: "The routine's name (its file name without .json).")
        var name: String

        @Flag(help: "Wait until the run ends and exit non-zero when it fails.")
        var wait = false

        @Flag(help: "Run it even when it is disabled.")
        var force = false

        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard RoutineFileName.isValidName(name) else {
                throw ValidationError("'\(name)' is not a routine name (lower-case letters, digits, '.', '_', '-').")
            }
        }

        func run() throws {
            try Self.trigger(name, wait: wait, force: force, client: options.client)
        }

        /// The request and its one line of output, shared with the fast path below.
        static func trigger(_ name: String, wait: Bool, force: Bool, client: DaemonClient) throws(CLIError) {
            let reply = try call(
                client, "POST", "/routines/\(urlEncode(name))/trigger",
                sending: TriggerRequest(wait: wait, force: force)
            ).decode(TriggerReply.self)
            let outcome = reply.outcome
            if wait {
                if outcome != "success" {
                    throw CLIError("\(name): \(outcome)" + (reply.error.map { ": \($0)" } ?? ""))
                }
                print("\(name): success")
            } else {
                print("\(name): \(outcome)")
            }
        }

        /// `trigger` is the command scripts and key bindings run most, so its plain forms skip
        /// ArgumentParser, whose reflection costs about a millisecond of a ~4 ms process. Only
        /// `trigger NAME` with `--wait`, `--force` and `--socket PATH` (each at most once, a valid
        /// name) takes this path; anything else (help, typos, bad names) returns nil and goes
        /// through ArgumentParser, which gives the usual messages.
        static func fastPath(_ arguments: ArraySlice<String>) -> (
            name: String, wait: Bool, force: Bool, socket: String?
        )? {
            var rest = arguments
            guard rest.popFirst() == "trigger" else { return nil }
            var name: String?
            var wait = false
            var force = false
            var socket: String?
            while let argument = rest.popFirst() {
                switch argument {
                case "--wait" where !wait: wait = true
                case "--force" where !force: force = true
                case "--socket" where socket == nil:
                    guard let path = rest.popFirst(), !path.isEmpty, !path.hasPrefix("-") else { return nil }
                    socket = path
                case _ where argument.hasPrefix("--socket=") && socket == nil:
                    let path = String(argument.dropFirst("--socket=".count))
                    guard !path.isEmpty else { return nil }
                    socket = path
                case _ where name == nil && !argument.hasPrefix("-") && RoutineFileName.isValidName(argument):
                    name = argument
                default:
                    return nil
                }
            }
            guard let name else { return nil }
            return (name, wait, force, socket)
        }
    }

    /// `routines event NAME [KEY=VALUE]...`.
    struct EventCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "event",
            abstract: "Raise an event; routines with a matching event trigger start.")

        @Argument(help: "The event's name, e.g. alarm.dismissed.")
        var name: String

        @Argument(help: "Event data as KEY=VALUE pairs.")
        var data: [String] = []

        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard RoutineFileName.isValidName(name) else {
                throw ValidationError("'\(name)' is not an event name (lower-case letters, digits, '.', '_', '-').")
            }
            var keys: Set<String> = []
            for pair in data {
                guard pair.contains("="), !pair.hasPrefix("=") else {
                    throw ValidationError("'\(pair)' is not KEY=VALUE.")
                }
                let key = String(pair.prefix(while: { $0 != "=" }))
                guard keys.insert(key).inserted else { throw ValidationError("'\(key)' is given twice.") }
            }
        }

        func run() throws {
            var values: [String: String] = [:]
            for pair in data {
                let key = String(pair.prefix(while: { $0 != "=" }))
                values[key] = String(pair.dropFirst(key.count + 1))
            }
            let reply = try call(options.client, "POST", "/events/\(urlEncode(name))", sending: EventData(values))
                .decode(EventReply.self)
            switch reply.started {
            case 0:
                print(
                    "raised \(name): no routine listens to it (none has an enabled, matching event trigger; see 'routines list')"
                )
            case 1: print("raised \(name): started 1 routine")
            case let count: print("raised \(name): started \(count) routines")
            }
        }
    }

    /// `routines list [--json]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List routines: enabled, valid, last run and next fire.")

        @Flag(help: "Print the daemon's JSON.")
        var json = false

        @OptionGroup var options: ClientOptions

        func run() throws {
            let reply = try call(options.client, "GET", "/routines")
            if json {
                print(reply.json)
                return
            }
            let routines = try reply.decode([RoutineReply].self)
            let rows = routines.map { routine -> [String] in
                [
                    routine.name,
                    (routine.enabled ? "yes" : "no") + (routine.enabledBy == "state" ? " (set)" : " (file)"),
                    routine.problems.isEmpty ? "ok" : "INVALID", cell(routine.lastRun?.outcome),
                    cell(routine.lastRun?.startedAt), cell(routine.nextFire),
                ]
            }
            print(table(["ROUTINE", "ENABLED", "FILE", "LAST", "LAST RUN", "NEXT FIRE"], rows))
            if routines.contains(where: { $0.enabledBy == "state" }) {
                print(
                    "(set): chosen with routines enable/disable, kept in the state database; (file): the file's \"enabled\""
                )
            }
            for routine in routines {
                for problem in routine.problems { print(problem) }
            }
        }
    }

    /// `routines status [--json]`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show headphone mode, outputs and their idle clocks, running routines.")

        @Flag(help: "Print the daemon's JSON.")
        var json = false

        @OptionGroup var options: ClientOptions

        func run() throws {
            let reply = try call(options.client, "GET", "/status")
            if json {
                print(reply.json)
                return
            }
            let status = try reply.decode(StatusReply.self)
            print("headphone mode: \(status.headphoneMode.rawValue)")
            print("routines: \(status.routines.loaded) loaded, \(status.routines.invalid.count) invalid")
            for entry in status.routines.invalid {
                for problem in entry.problems { print("  \(problem)") }
            }
            let outputs = status.outputs.map {
                [
                    $0.name, cell($0.pcm), $0.state, cell($0.lastAudio), cell($0.nextKeepAlive),
                    String($0.burstsLastHour),
                ]
            }
            print(table(["OUTPUT", "PCM", "STATE", "LAST AUDIO", "NEXT KEEP-ALIVE", "BURSTS/H"], outputs))
            print(status.running.isEmpty ? "running: none" : "running:")
            for run in status.running {
                print("  \(run.routine) (run \(run.run), \(run.trigger), since \(cell(run.startedAt)))")
            }
        }
    }

    /// `routines headphones on|off|toggle|status`.
    struct Headphones: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch headphone mode (all implicit audio to the headphone output) or show it.")

        enum Action: String, ExpressibleByArgument, CaseIterable {
            case on, off, toggle, status
        }

        @Argument(help: "on, off, toggle or status.")
        var action: Action

        @OptionGroup var options: ClientOptions

        func run() throws {
            let reply: APIReply
            if let change = HeadphoneModeChange(rawValue: action.rawValue) {
                reply = try call(options.client, "PUT", "/headphones", sending: HeadphonesRequest(mode: change))
            } else {
                reply = try call(options.client, "GET", "/headphones")
            }
            print("headphone mode: \(try reply.decode(HeadphonesReply.self).mode.rawValue)")
        }
    }

    /// `routines history [NAME] [--limit N] [--json]`.
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show past runs, newest first.")

        @Argument(help: "Only this routine.")
        var name: String?

        @Option(help: "How many runs (1–10000).")
        var limit: Int = 20

        @Flag(help: "Print the daemon's JSON.")
        var json = false

        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000.") }
        }

        func run() throws {
            var path = "/history?limit=\(limit)"
            if let name { path += "&routine=\(urlEncode(name))" }
            let reply = try call(options.client, "GET", path)
            if json {
                print(reply.json)
                return
            }
            let rows = try reply.decode([RunReply].self).map { run in
                // A run without an error shows its steps' notes (such as a speech fallback).
                let detail = run.error ?? run.steps.compactMap(\.note).joined(separator: "; ")
                return [run.startedAt, run.routine, run.trigger, run.outcome, detail]
            }
            if rows.isEmpty {
                print(name.map { "no runs of \($0) yet" } ?? "no runs yet")
                return
            }
            print(table(["STARTED", "ROUTINE", "TRIGGER", "OUTCOME", "ERROR / NOTE"], rows))
        }
    }

    /// `routines outputs`.
    struct Outputs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each output: PCM, whether it opens, its state (active, inactive, unavailable), last audio.",
            discussion: "Exits 1 when a configured output does not open.")

        @Flag(help: "Print the daemon's JSON.")
        var json = false

        @Flag(
            help: ArgumentHelp(
                "List what could be an output instead: the PipeWire/PulseAudio sinks (name, description, state, Bluetooth address) and ALSA's PCMs, each with a config snippet. Needs no daemon.",
                valueName: "discover"))
        var discover = false

        @OptionGroup var options: ClientOptions

        func run() throws {
            if discover {
                // libpulse and ALSA live in routines-daemon (the client stays lean): it answers.
                let executable = CommandPaths.parent(ExecutablePath.current()) + "/routines-daemon"
                let status = runCommand([executable, "--discover-outputs"])
                if status != 0 { throw ExitCode(status) }
                return
            }
            let reply = try call(options.client, "GET", "/outputs")
            if json {
                print(reply.json)
                return
            }
            let outputs = try reply.decode([OutputReply].self)
            let rows = outputs.map {
                [
                    $0.name, $0.sink.map { "sink \($0)" } ?? cell($0.pcm), cell($0.bluetooth), cell($0.opens), $0.state,
                    cell($0.lastAudio),
                ]
            }
            print(table(["OUTPUT", "PCM/SINK", "BLUETOOTH", "OPENS", "STATE", "LAST AUDIO"], rows))
            for output in outputs {
                if let error = output.error {
                    print("\(output.name): \(error)")
                } else if output.state != "active", let reason = output.reason {
                    print("\(output.name): \(reason)")
                } else if output.otherAudio == true {
                    print("\(output.name): another program plays into its sink (no keep-alive needed meanwhile)")
                }
                if output.state == "unavailable", let retry = output.nextRetry {
                    print("  tried again at \(retry), and at once when its Bluetooth device connects")
                }
                if let hint = output.hint { print("  \(hint)") }
            }
            let failing = outputs.filter { $0.opens == false }.map(\.name)
            if !failing.isEmpty {
                throw CLIError(
                    "\(failing.count == 1 ? "output" : "outputs") \(failing.joined(separator: ", ")) did not open")
            }
        }
    }

    /// `routines say TEXT [--output NAME] [--voice V]`.
    struct Say: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Speak a text once through the daemon.")

        @Argument(help: "What to say.")
        var text: String

        @Option(help: "Output name (default: the active output).")
        var output: String?

        @Option(
            help:
                "Voice: espeak-ng's (en, en-us, de) or ENGINE:VOICE of a configured engine (piper:en_US-joe-medium); default: the default engine's."
        )
        var voice: String?

        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard !text.isEmpty else { throw ValidationError("Give a text to say.") }
        }

        func run() throws {
            let reply = try call(
                options.client, "POST", "/say", sending: SayRequest(text: text, output: output, voice: voice)
            ).decode(SayReply.self)
            print("said on \(reply.output)")
        }
    }
}
