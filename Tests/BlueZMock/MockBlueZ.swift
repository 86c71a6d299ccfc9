import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private D-Bus with python-dbusmock's BlueZ template (TESTING.md); killed at the end.
public final class MockBlueZ {
    public let dir: String
    public let address: String
    public private(set) var busPID: Int32 = 0
    var mock: Process?
    var hasAdapter = false

    public init() throws {
        dir = NSTemporaryDirectory() + "routines-bluez-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        address = "unix:path=\(dir)/bus.sock"
        try startBus()
        try startMock()
    }

    public func startBus() throws {
        // The forked bus keeps its standard output open: write it to a file, not a pipe.
        let pidFile = dir + "/bus.pid"
        _ = FileManager.default.createFile(atPath: pidFile, contents: nil)
        // Foundation's Process waits for the forked daemon too; a plain shell call returns when the
        // parent has forked.
        let status = system(
            "/usr/bin/dbus-daemon --session --address='\(address)' --fork --print-pid=1 > '\(pidFile)' 2>/dev/null")
        guard status == 0 else { throw MockError(message: "dbus-daemon failed to start (\(status))") }
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                busPID = pid
                return
            }
            usleep(10_000)
        }
        throw MockError(message: "dbus-daemon did not start")
    }

    public func startMock() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "dbusmock", "--template", "bluez5"]
        process.environment = ProcessInfo.processInfo.environment.merging(["DBUS_SYSTEM_BUS_ADDRESS": address]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        mock = process
        hasAdapter = false
        // Wait until the mock answers on the bus.
        for _ in 0..<200 {
            if (try? gdbus([
                "--dest", "org.bluez", "--object-path", "/", "--method",
                "org.freedesktop.DBus.ObjectManager.GetManagedObjects",
            ])) != nil {
                return
            }
            usleep(25_000)
        }
        throw MockError(message: "the BlueZ mock did not appear on the bus")
    }

    public func killMock() {
        if let mock, mock.isRunning {
            kill(mock.processIdentifier, SIGKILL)
            mock.waitUntilExit()
        }
        mock = nil
    }

    public struct MockError: Error { public var message: String }

    @discardableResult
    public func gdbus(_ arguments: [String]) throws -> String {
        let output = try Self.run(
            "/usr/bin/gdbus", ["call", "--system"] + arguments, environment: ["DBUS_SYSTEM_BUS_ADDRESS": address])
        return output
    }

    public func mockCall(_ method: String, _ args: [String]) throws {
        try gdbus(
            ["--dest", "org.bluez", "--object-path", "/org/bluez", "--method", "org.bluez.Mock.\(method)"] + args)
    }

    /// Adds hci0 and a device; `headphones` makes it look like headphones (Icon and A2DP sink UUID).
    public func addDevice(_ address: String, _ name: String, headphones: Bool) throws {
        if !hasAdapter {
            try mockCall("AddAdapter", ["hci0", "host"])
            hasAdapter = true
        }
        try mockCall("AddDevice", ["hci0", address, name])
        if headphones {
            let path = "/org/bluez/hci0/dev_" + address.replacingOccurrences(of: ":", with: "_")
            try gdbus([
                "--dest", "org.bluez", "--object-path", path, "--method", "org.freedesktop.DBus.Mock.UpdateProperties",
                "org.bluez.Device1",
                #"{"Icon": <"audio-headphones">, "UUIDs": <["0000110b-0000-1000-8000-00805f9b34fb"]>}"#,
            ])
        }
    }

    /// Runs a helper to its end: posix_spawn and waitpid by its own PID. (Foundation's
    /// `Process.waitUntilExit` sometimes missed a `gdbus` child's exit here and waited forever,
    /// hanging the whole test run.)
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let output = NSTemporaryDirectory() + "routines-bluez-\(UUID().uuidString).out"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw MockError(message: "cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw MockError(message: "\(path) \(arguments) failed") }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    deinit {
        killMock()
        if busPID > 0 { kill(busPID, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
