import Foundation

/// Runs the built `routines` binary and captures its output.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Locates and runs the `routines` executable built next to the test bundle.
enum CLI {
    /// The `routines` binary in the build folder of this test run.
    static var binary: URL {
        // The test runner lives in the same products folder as the executable.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("routines")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: repositoryRoot).appendingPathComponent(".build/debug/routines")
    }

    /// The repository's root folder.
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Runs `routines ARGS` with an optional environment overlay and working directory.
    static func run(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> CLIResult
    {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: cwd ?? repositoryRoot)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A command that never returns (a daemon that never answers) fails its test after
        // `hangLimit` instead of holding the whole test run until CI's own time limit.
        let pid = process.processIdentifier
        let killed = Flag()
        let watchdog = DispatchWorkItem {
            killed.set()
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + hangLimit, execute: watchdog)
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        var stderr = String(decoding: errData, as: UTF8.self)
        if killed.isSet {
            let command = "routines " + arguments.joined(separator: " ")
            stderr += "\n(test harness: `\(command)` killed after \(Int(hangLimit)) s)"
        }
        return CLIResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: stderr)
    }

    /// How long one CLI command may take in a test.
    static let hangLimit: Double = 120

    /// A flag set once, from any thread.
    private final class Flag: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}

/// A temporary folder removed at the end of a test.
final class TempDir {
    let path: String
    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("routines-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }
    func write(_ name: String, _ text: String) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
