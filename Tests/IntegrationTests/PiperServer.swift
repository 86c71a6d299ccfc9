import Foundation

/// A real `wyoming-piper` (from PyPI, in the virtualenv `scripts/piper-venv.sh` makes once) serving
/// the en_US-joe-medium voice on a free loopback port; stopped by PID.
final class PiperServer: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let venv: String
    let dataDir: String
    let port: Int
    let logPath: String
    private var process: Process?

    var uri: String { "tcp://127.0.0.1:\(port)" }

    /// Makes the virtualenv if needed and picks a port; `start()` starts the server.
    init() throws {
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: "/bin/bash")
        setup.arguments = [CLI.repositoryRoot + "/scripts/piper-venv.sh"]
        let output = Pipe()
        setup.standardOutput = output
        setup.standardInput = FileHandle.nullDevice
        try setup.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        setup.waitUntilExit()
        let lines = text.split(separator: "\n").map(String.init)
        guard setup.terminationStatus == 0, lines.count >= 2 else {
            throw Failure(description: "scripts/piper-venv.sh failed (status \(setup.terminationStatus)): \(text)")
        }
        venv = lines[0]
        dataDir = lines[1]
        port = try Self.freePort()
        logPath = NSTemporaryDirectory() + "wyoming-piper-\(UUID().uuidString).log"
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Starts the server and waits until it logs `Ready`.
    func start() throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: venv + "/bin/wyoming-piper")
        process.arguments = [
            "--voice", "en_US-joe-medium", "--data-dir", dataDir, "--uri", uri, "--local-files-only",
        ]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitUntil("wyoming-piper is ready on port \(port)", timeout: 120) {
            guard process.isRunning else { throw Failure(description: "wyoming-piper exited: \(self.log)") }
            return self.log.contains("Ready")
        }
    }

    /// Stops the server (SIGKILL: wyoming-piper leaves SIGTERM pending while it waits in asyncio),
    /// then waits for it.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// A loopback port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot find a free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Piper's own rendering of `text` (the `piper` program of the same venv): seconds of audio.
    func piperSeconds(_ text: String) throws -> Double {
        let wav = NSTemporaryDirectory() + "piper-\(UUID().uuidString).wav"
        defer { try? FileManager.default.removeItem(atPath: wav) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: venv + "/bin/piper")
        process.arguments = ["--model", dataDir + "/en_US-joe-medium.onnx", "--output_file", wav, "--", text]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: wav), data.count > 44
        else {
            throw Failure(description: "piper could not render \(text)")
        }
        // 22,050 Hz mono 16-bit after a 44-byte header.
        return Double(data.count - 44) / 2 / 22_050
    }
}
