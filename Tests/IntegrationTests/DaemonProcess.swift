import Foundation
import Testing

/// A `routines daemon` child process in its own temporary folder (routines, state, socket).
final class DaemonProcess {
    let dir: TempDir
    let routines: String
    let state: String
    let socket: String
    let logPath: String
    var process: Process?
    var extraArguments: [String]
    var environment: [String: String] = [:]
    /// RLIMIT_NOFILE for the daemon (through prlimit), as `ulimit -n` would set it.
    var fileLimit: Int?

    init(routines files: [String: String] = [:], extraArguments: [String] = []) throws {
        dir = try TempDir()
        routines = dir.path + "/routines"
        state = dir.path + "/state"
        socket = dir.path + "/routines.sock"
        logPath = dir.path + "/daemon.log"
        self.extraArguments = extraArguments
        try FileManager.default.createDirectory(atPath: routines, withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    /// Writes a routine file atomically (temporary file + rename), as editors do.
    func write(_ name: String, _ text: String) throws {
        let temporary = routines + "/.\(name).tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, routines + "/" + name) == 0 else { throw POSIXError(.EIO) }
    }

    func start() throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments =
            ["daemon", "--routines", routines, "--state", state, "--socket", socket, "--audio", dir.path + "/audio"]
            + extraArguments
        if let fileLimit {
            process.arguments = ["--nofile=\(fileLimit)", "--", CLI.binary.path] + process.arguments!
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        }
        var env = ProcessInfo.processInfo.environment
        env["XDG_CONFIG_HOME"] = dir.path + "/config"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitUntil("the daemon serves \(socket)") { (try? self.cli(["status"]))?.status == 0 }
    }

    /// Runs the CLI against this daemon's socket.
    func cli(_ arguments: [String]) throws -> CLIResult {
        try CLI.run(arguments + ["--socket", socket])
    }

    /// SIGTERM (graceful) or SIGKILL, then waits for the process. A daemon still there 20 s after
    /// SIGTERM (it shuts down within 7 s; one stuck in its crash reporter never would) is killed and
    /// recorded as an issue, instead of holding the test run until CI's time limit.
    func stop(kill: Bool = false) {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, kill ? SIGKILL : SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            Issue.record("the daemon did not exit within 20 s of SIGTERM; its log:\n\(log.suffix(3000))")
        }
        process.waitUntilExit()
        self.process = nil
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop(kill: true) }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting until \(what)" }
}

/// Polls a condition until it holds or `timeout` passes (waiting on an outcome, not timing it).
func waitUntil(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw TimedOut(what: what)
}

/// Parses CLI JSON output.
func jsonArray(_ text: String) throws -> [[String: Any]] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
}

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}
