import Foundation
import SignalMeasure

#if canImport(Glibc)
    import Glibc
#endif

/// A real audio server for tests (TESTING.md "A real PipeWire in tests"): a private
/// `XDG_RUNTIME_DIR`, a private session bus, and either `pipewire` + `wireplumber` +
/// `pipewire-pulse` or a `pulseaudio -n -F FILE --daemonize=no`, all children stopped by PID.
public final class AudioServerProcesses {
    public enum Kind: Sendable { case pipewire, pulseaudio }

    public let kind: Kind
    /// The private runtime folder (mode 0700); the server's socket is `pulse/native` in it.
    public let runtimeDir: String
    public private(set) var busAddress = ""
    private var busPID: Int32 = 0
    private var children: [String: pid_t] = [:]
    /// The environment a client of this server runs with.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = runtimeDir
        environment["DBUS_SESSION_BUS_ADDRESS"] = busAddress
        environment["PULSE_SERVER"] = nil
        return environment
    }
    /// The server's socket.
    public var socketPath: String { runtimeDir + "/pulse/native" }
    /// `unix:PATH`, for libpulse.
    public var serverAddress: String { "unix:" + socketPath }

    /// Whether the programs this needs are installed (scripts/setup.sh installs them).
    public static func installed(_ kind: Kind) -> Bool {
        let programs =
            kind == .pipewire
            ? [
                "/usr/bin/pipewire", "/usr/bin/wireplumber", "/usr/bin/pipewire-pulse", "/usr/bin/pactl",
                "/usr/bin/parec", "/usr/bin/pw-cli",
            ]
            : ["/usr/bin/pulseaudio", "/usr/bin/pactl", "/usr/bin/parec"]
        return programs.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether PipeWire gets its session manager (WirePlumber), which links streams to sinks.
    public let sessionManager: Bool

    /// `sessionManager: false` starts PipeWire without WirePlumber (a broken installation).
    public init(_ kind: Kind = .pipewire, sessionManager: Bool = true) throws {
        self.kind = kind
        self.sessionManager = sessionManager
        runtimeDir = NSTemporaryDirectory() + "routines-pw-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: runtimeDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // The server's folder exists before it starts: pipewire-pulse 0.3.65 checks for it with stat,
        // then mkdir, and exits ("no servers could be started: File exists") when a client that is
        // polling it (`pactl info`, which makes the folder too) made it in between.
        try FileManager.default.createDirectory(
            atPath: runtimeDir + "/pulse", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try startBus()
        try startServer()
    }

    deinit { stopAll() }

    /// Stops every child and the bus, removes the runtime folder.
    public func stopAll() {
        for name in children.keys.sorted() { stop(name) }
        if busPID > 0 { kill(busPID, SIGTERM) }
        busPID = 0
        try? FileManager.default.removeItem(atPath: runtimeDir)
    }

    private func startBus() throws {
        let out = runtimeDir + "/bus.out"
        let status = system(
            "/usr/bin/dbus-daemon --session --address=unix:path='\(runtimeDir)/bus' --fork --print-address=1 --print-pid=1 > '\(out)' 2>/dev/null"
        )
        guard status == 0 else { throw HarnessError("dbus-daemon failed to start (\(status))") }
        let lines = (try String(contentsOfFile: out, encoding: .utf8)).split(separator: "\n")
        guard lines.count >= 2, let pid = Int32(lines[1]) else { throw HarnessError("dbus-daemon printed no address") }
        busAddress = String(lines[0])
        busPID = pid
    }

    /// Starts the server's processes and waits until it answers.
    public func startServer() throws {
        switch kind {
        case .pipewire:
            // In order, each once the one before it answers: WirePlumber and pipewire-pulse started
            // beside a PipeWire that has no socket yet fail to connect. WirePlumber then exits
            // ("Failed to connect to PipeWire"), and with no session manager no stream is ever
            // linked: a recording stays empty and a playback stream is never ready (libpulse's
            // "Timeout" after 30 s). 4 starts in 39 went so under load before this order.
            try spawn("pipewire", "/usr/bin/pipewire", [])
            try waitUntil("PipeWire's socket", processes: ["pipewire"]) {
                FileManager.default.fileExists(atPath: runtimeDir + "/pipewire-0")
            }
            if sessionManager {
                try spawn("wireplumber", "/usr/bin/wireplumber", [])
                // WirePlumber creates the "default" metadata once it runs its policy.
                try waitUntil("WirePlumber's default metadata", processes: ["pipewire", "wireplumber"]) {
                    ((try? run("/usr/bin/pw-cli", ["ls", "Metadata"])) ?? "").contains(#"metadata.name = "default""#)
                }
            }
            try spawn("pipewire-pulse", "/usr/bin/pipewire-pulse", [])
        case .pulseaudio:
            let file = runtimeDir + "/default.pa"
            try """
            load-module module-native-protocol-unix
            load-module module-null-sink sink_name=placeholder
            """.write(toFile: file, atomically: true, encoding: .utf8)
            try spawn(
                "pulseaudio", "/usr/bin/pulseaudio",
                ["-n", "-F", file, "--exit-idle-time=-1", "--daemonize=no", "--log-target=stderr"])
        }
        try waitUntilAnswering()
    }

    /// Kills the PulseAudio-protocol server (pipewire-pulse, or pulseaudio) with `signal`.
    public func killPulseServer(_ signal: Int32 = SIGKILL) {
        stop(kind == .pipewire ? "pipewire-pulse" : "pulseaudio", signal: signal)
    }

    /// Starts the PulseAudio-protocol server again after `killPulseServer`.
    public func restartPulseServer() throws {
        switch kind {
        case .pipewire: try spawn("pipewire-pulse", "/usr/bin/pipewire-pulse", [])
        case .pulseaudio:
            try spawn(
                "pulseaudio", "/usr/bin/pulseaudio",
                [
                    "-n", "-F", runtimeDir + "/default.pa", "--exit-idle-time=-1", "--daemonize=no",
                    "--log-target=stderr",
                ])
        }
        try waitUntilAnswering()
    }

    private func spawn(_ name: String, _ path: String, _ arguments: [String]) throws {
        children[name] = try ChildProcess.spawn(
            path, arguments, environment: environment, stdout: "/dev/null", stderr: runtimeDir + "/\(name).log")
    }

    private func stop(_ name: String, signal: Int32 = SIGTERM) {
        guard let pid = children.removeValue(forKey: name) else { return }
        kill(pid, signal)
        ChildProcess.wait(pid)
    }

    /// Polls `pactl info` (start-up only: a server needs a moment to create its socket).
    private func waitUntilAnswering() throws {
        var last = ""
        do {
            try waitUntil("the \(kind) server answering", processes: Array(children.keys)) {
                do {
                    try pactl(["info"])
                    return true
                } catch {
                    last = "\(error)"
                    return false
                }
            }
        } catch let error as HarnessError {
            throw HarnessError("\(error.description) (last: \(last))")
        }
    }

    /// Polls `ready` (start-up only) for up to 30 s; fails at once, with their logs, when one of
    /// `processes` exited.
    private func waitUntil(_ what: String, processes: [String], _ ready: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if ready() { return }
            for name in processes {
                guard let pid = children[name] else { continue }
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    let message = "\(name) exited (status \(status)) while waiting for \(what); \(logs())"
                    children[name] = nil
                    throw HarnessError(message)
                }
            }
            usleep(20_000)
        }
        throw HarnessError("no \(what) within 30 s; \(logs())")
    }

    /// The end of each child's log.
    private func logs() -> String {
        children.keys.sorted().map { name in
            "\(name): "
                + ((try? String(contentsOfFile: runtimeDir + "/\(name).log", encoding: .utf8)) ?? "").suffix(1500)
        }.joined(separator: "; ")
    }

    /// Runs `pactl ARGS` against this server; returns its output or throws with its error.
    @discardableResult
    public func pactl(_ arguments: [String]) throws -> String {
        try run("/usr/bin/pactl", arguments)
    }

    /// Loads a null sink named `name`; returns the module index (for `unloadModule`).
    @discardableResult
    public func addNullSink(_ name: String) throws -> String {
        let module = try pactl(["load-module", "module-null-sink", "sink_name=\(name)"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The sink exists once the server lists it.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try sinkState(name) != nil { return module }
            usleep(20_000)
        }
        throw HarnessError("the null sink \(name) did not appear")
    }

    public func unloadModule(_ module: String) throws {
        try pactl(["unload-module", module])
    }

    /// `RUNNING`, `IDLE`, `SUSPENDED`, or nil when there is no such sink.
    public func sinkState(_ name: String) throws -> String? {
        for line in try pactl(["list", "sinks", "short"]).split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count >= 5, fields[1] == name { return String(fields[4]) }
        }
        return nil
    }

    /// Starts another program playing `file` into `sink` (`paplay`); the caller waits for it.
    public func play(_ file: String, sink: String) throws -> ChildProcess {
        ChildProcess(
            pid: try ChildProcess.spawn(
                "/usr/bin/paplay", ["-d", sink, file], environment: environment, stdout: "/dev/null",
                stderr: "/dev/null"))
    }

    /// Records what reaches `sink` (its monitor) as mono 16-bit 48 kHz until `stop()`.
    public func record(_ sink: String) throws -> MonitorRecording {
        try MonitorRecording(
            sink: sink, file: runtimeDir + "/\(sink)-\(UUID().uuidString.prefix(6)).raw", environment: environment)
    }

    func run(_ path: String, _ arguments: [String]) throws -> String {
        let out = runtimeDir + "/run-\(UUID().uuidString.prefix(6))"
        defer {
            unlink(out + ".out")
            unlink(out + ".err")
        }
        let pid = try ChildProcess.spawn(
            path, arguments, environment: environment, stdout: out + ".out", stderr: out + ".err")
        let status = ChildProcess.wait(pid)
        let output = (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? ""
        guard status == 0 else {
            let error = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
            throw HarnessError("\(path) \(arguments.joined(separator: " ")): \(error)")
        }
        return output
    }
}

/// A child started with posix_spawn and reaped with waitpid by its own PID (Foundation's Process
/// can miss a child's exit when many processes come and go, and then waits forever).
public struct ChildProcess {
    public let pid: pid_t

    /// Waits for the child; returns its exit status.
    @discardableResult
    public func waitUntilExit() -> Int32 { Self.wait(pid) }

    static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String], stdout: String, stderr: String
    )
        throws -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else { throw HarnessError("cannot start \(path): \(String(cString: strerror(result)))") }
        return pid
    }

    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// `parec` on a sink's monitor, writing stereo S16LE 48 kHz to a file (read back as its left channel:
/// a mono capture would be PipeWire's downmix, with its own gain).
public final class MonitorRecording {
    public let file: String
    private var pid: pid_t?
    public static let rate = 48_000

    init(sink: String, file: String, environment: [String: String]) throws {
        self.file = file
        pid = try ChildProcess.spawn(
            "/usr/bin/parec",
            ["-d", sink + ".monitor", "--raw", "--format=s16le", "--rate=48000", "--channels=2", "--latency-msec=10"],
            environment: environment, stdout: file, stderr: file + ".err")
    }

    deinit { stop() }

    /// The left channel so far (16-bit values as Double).
    public func samples() -> [Double] { Self.samples(of: file) }

    /// The left channel of a recording's file so far (from any thread).
    public static func samples(of file: String) -> [Double] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        return data.withUnsafeBytes { raw in
            let values = raw.bindMemory(to: Int16.self)
            return stride(from: 0, to: values.count - 1, by: 2).map { Double(values[$0]) }
        }
    }

    /// Seconds recorded so far.
    public var seconds: Double {
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        return Double(size / 4) / Double(Self.rate)
    }

    /// Waits until at least `seconds` are recorded (the capture runs at the server's real-time pace).
    public func waitFor(seconds wanted: Double, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while seconds < wanted {
            guard Date() < deadline else {
                var status: Int32 = 0
                let exited = pid.map { waitpid($0, &status, WNOHANG) == $0 } ?? true
                if exited { pid = nil }
                let stderr = (try? String(contentsOfFile: file + ".err", encoding: .utf8)) ?? ""
                throw HarnessError(
                    "the monitor recording stalled at \(seconds) s (parec \(exited ? "exited" : "runs"): \(stderr))")
            }
            usleep(20_000)
        }
    }

    /// Stops the recording; returns its samples.
    @discardableResult
    public func stop() -> [Double] {
        if let pid {
            // What parec read is in the file already (it writes as it goes).
            kill(pid, SIGKILL)
            ChildProcess.wait(pid)
            self.pid = nil
        }
        return samples()
    }
}

/// A harness failure, said plainly.
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a monitor recording holds, in short windows: level and the power at two frequencies.
public struct MonitorWindow: Sendable {
    /// Seconds from the start of the recording.
    public var time: Double
    /// RMS in dBFS (−200 for digital silence).
    public var rmsDBFS: Double
    /// Goertzel power at `low` and `high`, relative to the window's energy (≈1 for a pure tone).
    public var low: Double
    public var high: Double

    /// Splits samples into `seconds`-long windows.
    public static func split(
        _ samples: [Double], seconds: Double = 0.1, low: Double = 20, high: Double = 440, rate: Int = 48_000
    ) -> [MonitorWindow] {
        let size = Int(seconds * Double(rate))
        var windows: [MonitorWindow] = []
        var start = 0
        while start + size <= samples.count {
            let x = Array(samples[start..<start + size])
            let energy = x.reduce(0) { $0 + $1 * $1 }
            let rms = (energy / Double(size)).squareRoot()
            windows.append(
                MonitorWindow(
                    time: Double(start) / Double(rate), rmsDBFS: rms > 0 ? 20 * log10(rms / 32768) : -200,
                    low: Measure.goertzel(x, frequency: low, rate: Double(rate)),
                    high: Measure.goertzel(x, frequency: high, rate: Double(rate))))
            start += size
        }
        return windows
    }

    /// Sound at all (above −70 dBFS).
    public var audible: Bool { rmsDBFS > -70 }
    /// Mostly the low tone (a keep-alive burst).
    public var isLow: Bool { audible && low > 0.5 && low > high }
    /// Mostly the high tone ("music").
    public var isHigh: Bool { audible && high > 0.5 && high > low }
}
