import Foundation
import Testing

/// Catch-up across downtime, and the token-protected TCP listener.
@Suite(.timeLimit(.minutes(2))) struct CatchUpAndTokenTests {
    @Test func aFireMissedWhileDownRunsOnceAtStartOnlyWithCatchUp() throws {
        let daemon = try DaemonProcess(routines: [
            "with.json":
                #"{"mode":"parallel","triggers":[{"cron":"*/2 * * * * *","catchUp":"1m"}],"actions":[{"wait":0}]}"#,
            "without.json": #"{"mode":"parallel","triggers":[{"cron":"*/2 * * * * *"}],"actions":[{"wait":0}]}"#,
        ])
        try daemon.start()
        func runs(_ name: String) throws -> [[String: Any]] {
            try jsonArray(try daemon.cli(["history", name, "--json", "--limit", "1000"]).stdout)
        }
        try waitUntil("both routines fired once", timeout: 10) {
            try runs("with").count >= 1 && runs("without").count >= 1
        }
        daemon.stop(kill: true)
        // Down across at least one scheduled fire (they come every 2 s).
        let down = Date()
        while Date().timeIntervalSince(down) < 2.5 { usleep(50_000) }
        try daemon.start()
        try waitUntil("the missed fire is caught up", timeout: 5) {
            try runs("with").contains { ($0["trigger"] as? String)?.hasPrefix("catchUp:") == true }
        }
        #expect(try runs("with").filter { ($0["trigger"] as? String)?.hasPrefix("catchUp:") == true }.count == 1)
        #expect(try runs("without").allSatisfy { ($0["trigger"] as? String)?.hasPrefix("catchUp:") != true })
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func curlTCP(_ port: Int, _ path: String, token: String?) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var args = ["-s", "-o", "/dev/null", "-w", "%{http_code}"]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        process.arguments = args + ["http://127.0.0.1:\(port)\(path)"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Int(text) ?? 0
    }

    @Test func tcpListenerNeedsTheBearerToken() throws {
        let port = try Self.freePort()
        let daemon = try DaemonProcess()
        let token = "0123456789abcdef0123456789abcdef"
        let tokenFile = try daemon.dir.write("token", token + "\n")
        let config = try daemon.dir.write(
            "config.json", #"{"http": {"listen": "127.0.0.1:\#(port)", "tokenFile": "\#(tokenFile)"}}"#)
        daemon.extraArguments = ["--config", config]
        try daemon.start()
        try waitUntil("the TCP listener answers") { (try? curlTCP(port, "/status", token: token)) == 200 }
        #expect(try curlTCP(port, "/status", token: nil) == 401)
        #expect(try curlTCP(port, "/status", token: "0123456789abcdef0123456789abcdeX") == 401)
        #expect(try curlTCP(port, "/status", token: String(token.dropLast())) == 401)
        #expect(try curlTCP(port, "/headphones", token: token) == 200)
        // The Unix socket needs no token.
        #expect(try daemon.cli(["status"]).status == 0)
    }

    @Test func tcpListenerWithoutATokenFileRefusesToStart() throws {
        let dir = try TempDir()
        let config = try dir.write(
            "config.json", #"{"http": {"listen": "127.0.0.1:1", "tokenFile": "\#(dir.path)/missing"}}"#)
        let result = try CLI.run([
            "daemon", "--routines", dir.path, "--config", config, "--state", dir.path + "/s", "--socket",
            dir.path + "/x.sock",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("http.tokenFile"))
    }
}
