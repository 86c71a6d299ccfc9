import Foundation
import Testing

/// Home Assistant's `rest_command` against the TCP listener, byte for byte as it sends requests
/// (without Home Assistant itself): its headers, no payload, a `payload` (sent as bytes, which
/// aiohttp labels `application/octet-stream`), or one with `content_type: application/json`; and
/// where the runs it starts come from in the history.
@Suite(.timeLimit(.minutes(2))) struct HomeAssistantTests {
    static let token = "hass-0123456789abcdef0123456789"

    static let routines = [
        "good-morning.json": #"{"mode": "queued", "triggers": [{"event": "never"}], "actions": [{"wait": "10ms"}]}"#,
        "door.json": #"""
        {"mode": "parallel", "triggers": [{"event": "door.opened", "match": {"room": "kitchen"}}],
         "actions": [{"emit": "door.seen", "data": {"room": "{event.room}", "by": "{event.who}"}}]}
        """#,
        // Starts only when the data arrived intact (the match names the exact values sent).
        "seen.json": #"""
        {"mode": "parallel", "triggers": [{"event": "door.seen", "match": {"by": ["Zoë \"Z\"", "json"], "room": "kitchen"}}],
         "actions": [{"wait": "10ms"}]}
        """#,
    ]

    /// One request exactly as Home Assistant 2024.3.3's `rest_command` sends it (aiohttp 3.9.3;
    /// captured from its client session): aiohttp labels every body it is given as bytes, the
    /// empty one too, `application/octet-stream` unless `content_type:` sets a header, which then
    /// comes right after the configured headers.
    static func homeAssistantRequest(
        _ path: String, port: Int, payload: String?, contentType: String? = nil, token: String = token
    ) -> [UInt8] {
        let body = Array((payload ?? "").utf8)
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        head += "User-Agent: HomeAssistant/2024.3.3 aiohttp/3.9.3 Python/3.11\r\n"
        head += "Authorization: Bearer \(token)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        head += "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
        head += "Content-Length: \(body.count)\r\n"
        if contentType == nil { head += "Content-Type: application/octet-stream\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// Sends raw bytes to 127.0.0.1:port and reads the reply until the server closes or the
    /// reply's body is complete; returns status and body.
    static func send(_ bytes: [UInt8], port: Int) throws -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            reply += buffer[0..<count]
            let text = String(decoding: reply, as: UTF8.self)
            // aiohttp keeps the connection alive: stop once Content-Length bytes of body are in.
            if let split = text.range(of: "\r\n\r\n"),
                let lengthLine = text[..<split.lowerBound].split(separator: "\r\n").first(where: {
                    $0.lowercased().hasPrefix("content-length:")
                }),
                let length = Int(lengthLine.dropFirst(15).trimmingCharacters(in: .whitespaces)),
                text.utf8.distance(from: split.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex)
                    >= length
            {
                break
            }
        }
        let text = String(decoding: reply, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    @Test func restCommandRequestsTriggerAndRaiseEventsAndHistoryNamesTheCaller() throws {
        let port = try CatchUpAndTokenTests.freePort()
        let daemon = try DaemonProcess(routines: Self.routines)
        let tokenFile = try daemon.dir.write("token", Self.token + "\n")
        let config = try daemon.dir.write(
            "config.json", #"{"http": {"listen": "127.0.0.1:\#(port)", "tokenFile": "\#(tokenFile)"}}"#)
        daemon.extraArguments = ["--config", config]
        try daemon.start()
        try waitUntil("the TCP listener answers") {
            (try? Self.send(Self.homeAssistantRequest("/events/ping", port: port, payload: nil), port: port))?.status
                == 202
        }

        // rest_command without payload: a trigger with an empty body.
        let trigger = try Self.send(
            Self.homeAssistantRequest("/routines/good-morning/trigger", port: port, payload: nil), port: port)
        #expect(trigger.status == 202, "\(trigger.body)")
        #expect(trigger.body.contains(#""outcome":"started""#))
        // payload: '{"wait": true}' without content_type: octet-stream, still read as JSON.
        let waited = try Self.send(
            Self.homeAssistantRequest("/routines/good-morning/trigger", port: port, payload: #"{"wait": true}"#),
            port: port)
        #expect(waited.status == 200, "\(waited.body)")
        #expect(waited.body.contains(#""outcome":"success""#))

        // An event with a templated payload, once as octet-stream and once as application/json.
        let plain = try Self.send(
            Self.homeAssistantRequest(
                "/events/door.opened", port: port, payload: #"{"room": "kitchen", "who": "Zoë \"Z\""}"#),
            port: port)
        #expect(plain.status == 202, "\(plain.body)")
        #expect(plain.body.contains(#""started":1"#), "\(plain.body)")
        let typed = try Self.send(
            Self.homeAssistantRequest(
                "/events/door.opened", port: port, payload: #"{"room": "kitchen", "who": "json"}"#,
                contentType: "application/json"), port: port)
        #expect(typed.status == 202, "\(typed.body)")
        #expect(typed.body.contains(#""started":1"#), "\(typed.body)")
        // Nothing listens to this one (room does not match): started 0.
        let none = try Self.send(
            Self.homeAssistantRequest("/events/door.opened", port: port, payload: #"{"room": "hall"}"#), port: port)
        #expect(none.body.contains(#""started":0"#), "\(none.body)")
        // A wrong token: 401, and nothing started.
        let refused = try Self.send(
            Self.homeAssistantRequest(
                "/routines/good-morning/trigger", port: port, payload: nil, token: "wrong-token-0123456789"),
            port: port)
        #expect(refused.status == 401)

        // The history names Home Assistant's address; the event data arrived intact.
        var runs: [[String: Any]] = []
        defer { if runs.count < 5 { Issue.record("routines list: \((try? daemon.cli(["list"]))?.stdout ?? "")") } }
        try waitUntil("both door.seen runs are recorded") {
            runs = try jsonArray(daemon.cli(["history", "--json", "--limit", "50"]).stdout)
            return runs.filter { $0["routine"] as? String == "seen" && $0["outcome"] as? String == "success" }.count
                == 2
        }
        let morning = runs.filter { $0["routine"] as? String == "good-morning" }.compactMap { $0["trigger"] as? String }
        #expect(morning == ["api 127.0.0.1", "api 127.0.0.1"])
        let door = runs.filter { $0["routine"] as? String == "door" }.compactMap { $0["trigger"] as? String }
        #expect(door == ["event:door.opened via api 127.0.0.1", "event:door.opened via api 127.0.0.1"])
        let table = try daemon.cli(["history", "good-morning"])
        #expect(table.stdout.contains("api 127.0.0.1"), "\(table.stdout)")

        // The same trigger from the command line and from another program on the socket.
        #expect(try daemon.cli(["trigger", "good-morning", "--wait"]).status == 0)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-s", "-o", "/dev/null", "--unix-socket", daemon.socket, "-X", "POST", "-d", #"{"wait":true}"#,
            "http://localhost/routines/good-morning/trigger",
        ]
        try curl.run()
        curl.waitUntilExit()
        let latest = try jsonArray(daemon.cli(["history", "good-morning", "--json", "--limit", "2"]).stdout)
        #expect(latest.compactMap { $0["trigger"] as? String } == ["api", "cli"])
    }
}
