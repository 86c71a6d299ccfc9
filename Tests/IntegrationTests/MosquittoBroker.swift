import Foundation
import Testing

/// Debian's `mosquitto` as a child process on a free loopback port with its own config: anonymous,
/// with a password file (`mosquitto_passwd -b`), or with TLS from a CA made here with `openssl`.
/// `mosquitto_pub` / `mosquitto_sub` are the other side.
final class MosquittoBroker {
    enum Security {
        case anonymous
        case password(user: String, password: String)
        case tls
    }

    let dir: TempDir
    let port: Int
    let security: Security
    let configPath: String
    let logPath: String
    /// With TLS: the CA that signed the broker's certificate, and an unrelated CA.
    private(set) var caFile: String?
    private(set) var otherCAFile: String?
    var process: Process?
    private var subscribers: [Process] = []

    /// `persistent`: sessions and their unacknowledged messages survive a `terminate()` and `start()`
    /// (saved at shutdown); the log then shows every packet.
    init(_ security: Security = .anonymous, persistent: Bool = false) throws {
        self.security = security
        dir = try TempDir()
        port = try freePort()
        configPath = dir.path + "/mosquitto.conf"
        logPath = dir.path + "/mosquitto.log"
        var config = "listener \(port) 127.0.0.1\n"
        if persistent {
            chmod(dir.path, 0o777)  // the broker drops to the `mosquitto` user and writes its database here
            config += "persistence true\npersistence_location \(dir.path)/\nlog_type all\n"
        } else {
            config += "persistence false\n"
        }
        switch security {
        case .anonymous:
            config += "allow_anonymous true\n"
        case .password(let user, let password):
            try run("/usr/bin/mosquitto_passwd", ["-c", "-b", dir.path + "/passwords", user, password])
            chmod(dir.path + "/passwords", 0o644)
            config += "allow_anonymous false\npassword_file \(dir.path)/passwords\n"
        case .tls:
            try makeCertificates()
            config +=
                "allow_anonymous true\ncafile \(dir.path)/ca.crt\ncertfile \(dir.path)/server.crt\nkeyfile \(dir.path)/server.key\n"
        }
        _ = try dir.write("mosquitto.conf", config)
        try start()
    }

    private func makeCertificates() throws {
        let ssl = "/usr/bin/openssl"
        let d = dir.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            ssl,
            ["req", "-x509"] + ec + [
                "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.crt", "-days", "2", "-subj", "/CN=routines-test-ca",
            ])
        try run(
            ssl, ["req"] + ec + ["-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=localhost"])
        _ = try dir.write("ext.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        try run(
            ssl,
            [
                "x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.crt", "-CAkey", "\(d)/ca.key",
                "-CAcreateserial",
                "-out", "\(d)/server.crt", "-days", "2", "-extfile", "\(d)/ext.cnf",
            ])
        try run(
            ssl,
            ["req", "-x509"] + ec + [
                "-keyout", "\(d)/other.key", "-out", "\(d)/other.crt", "-days", "2", "-subj", "/CN=other-ca",
            ])
        // The broker drops to the `mosquitto` user when started as root: it must read the key.
        chmod("\(d)/server.key", 0o644)
        caFile = "\(d)/ca.crt"
        otherCAFile = "\(d)/other.crt"
    }

    /// Starts (or restarts, on the same port) the broker and waits until it accepts connections.
    func start() throws {
        let process = Process()
        // Through python3, which clears the signal mask the test process's children inherit, so
        // `terminate()`'s SIGTERM reaches the broker.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv('/usr/sbin/mosquitto', ['mosquitto', '-c', sys.argv[1]])",
            configPath,
        ]
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitUntil("mosquitto listens on \(port)") { canConnect(port) }
    }

    /// SIGKILL: the broker vanishes without a word (its retained messages with it: no persistence).
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM: the broker shuts down cleanly (and saves its sessions when persistent).
    func terminate() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    var url: String {
        if case .tls = security { return "mqtts://127.0.0.1:\(port)" }
        return "mqtt://127.0.0.1:\(port)"
    }

    /// Connection options for mosquitto_pub / mosquitto_sub.
    var clientArguments: [String] {
        var arguments = ["-h", "127.0.0.1", "-p", String(port)]
        switch security {
        case .anonymous: break
        case .password(let user, let password): arguments += ["-u", user, "-P", password]
        case .tls: arguments += ["--cafile", caFile ?? ""]
        }
        return arguments
    }

    /// Publishes one message with mosquitto_pub (QoS 1 by default: the broker has it when this returns).
    func publish(_ topic: String, _ payload: String, qos: Int = 1, retain: Bool = false) throws {
        var arguments = clientArguments + ["-t", topic, "-m", payload, "-q", String(qos)]
        if retain { arguments.append("-r") }
        try run("/usr/bin/mosquitto_pub", arguments)
    }

    /// The retained messages under `filter`, by topic (empty payloads are not retained). mosquitto_sub
    /// `--retained-only` prints them and exits at the first message that is not retained: a probe
    /// published after the broker sent the retained ones. (Its `-W` timeout cannot be used: it relies
    /// on SIGALRM, which the test process's children inherit blocked.)
    func retained(_ filter: String) throws -> [String: String] {
        let end = "routines-test/end/\(UUID().uuidString)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        process.arguments = clientArguments + ["-t", filter, "-t", end, "--retained-only", "-v"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline {
            try publish(end, "end", qos: 0)
            usleep(20_000)
        }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var messages: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            messages[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return messages
    }

    /// Waits until the retained message on `topic` satisfies `condition`; returns it.
    @discardableResult
    func waitForRetained(_ topic: String, timeout: Double = 10, _ condition: (String?) -> Bool) throws -> String? {
        var last: String?
        try waitUntil("the retained message on \(topic) is as expected (last: \(last ?? "none"))", timeout: timeout) {
            last = try retained(topic)[topic]
            return condition(last)
        }
        return last
    }

    /// Starts `mosquitto_sub -v` on `filters`, writing "TOPIC PAYLOAD" lines to a file (read with
    /// `lines`); returns once the subscription is in place (a probe message came through it).
    func subscribe(_ filters: [String]) throws -> String {
        let path = dir.path + "/sub-\(subscribers.count).log"
        let probe = "routines-test/probe/\(subscribers.count)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        process.arguments = clientArguments + ["-v", "-q", "1", "-t", probe] + filters.flatMap { ["-t", $0] }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        process.standardError = FileHandle.nullDevice
        try process.run()
        subscribers.append(process)
        try waitUntil("mosquitto_sub is subscribed") {
            try publish(probe, "x", qos: 0)
            return lines(path, all: true).contains { $0.hasPrefix(probe + " ") }
        }
        return path
    }

    /// The lines a subscriber wrote, without its probes.
    func lines(_ path: String, all: Bool = false) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            .filter { all || !$0.hasPrefix("routines-test/probe/") }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        // SIGKILL: the test process's children inherit its blocked signals, SIGTERM included.
        for subscriber in subscribers where subscriber.isRunning {
            Foundation.kill(subscriber.processIdentifier, SIGKILL)
            subscriber.waitUntilExit()
        }
        kill()
    }
}

/// Runs a program to its end; its standard output.
@discardableResult
func run(_ program: String, _ arguments: [String], allowFailure: Bool = false) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let problem = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus != 0 && !allowFailure {
        throw CommandFailed(
            description:
                "\(program) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: problem, as: UTF8.self))"
        )
    }
    return String(decoding: data, as: UTF8.self)
}

struct CommandFailed: Error, CustomStringConvertible {
    var description: String
}

/// A loopback TCP port nothing listens on right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on the loopback port.
func canConnect(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
