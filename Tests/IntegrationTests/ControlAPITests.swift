import Foundation
import Testing

/// Malformed requests to the control API get clear JSON errors with HTTP status codes.
@Suite(.timeLimit(.minutes(2))) struct ControlAPITests {
    /// `curl --unix-socket` as a user would call it; returns (status, body).
    func curl(_ daemon: DaemonProcess, _ method: String, _ path: String, body: String? = nil, headers: [String] = [])
        throws -> (Int, String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", daemon.socket, "-X", method]
        for header in headers { args += ["-H", header] }
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        args.append("http://localhost" + path)
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test func errorsAreJSONWithStatusCodes() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": DaemonIntegrationTests.waitOne])
        try daemon.start()
        let cases: [(String, String, String?, Int, String)] = [
            ("GET", "/nowhere", nil, 404, "no route /nowhere"),
            ("DELETE", "/status", nil, 405, "not allowed"),
            ("POST", "/routines/quick/trigger", "{not json", 400, "JSON object"),
            ("POST", "/routines/quick/trigger", #"{"wiat":true}"#, 400, "unknown key 'wiat'"),
            ("POST", "/routines/quick/trigger", #"{"wait":1}"#, 400, "'wait' must be true or false"),
            ("POST", "/routines/nope/trigger", nil, 404, "no routine named"),
            ("PUT", "/headphones", #"{"mode":"maybe"}"#, 400, "on"),
            ("POST", "/events/Bad%20Name", "{}", 400, "not an event name"),
            ("POST", "/events/x", #"{"a":[1]}"#, 400, "must be a string"),
            ("GET", "/next?count=0", nil, 400, "count must be"),
            ("GET", "/history?limit=abc", nil, 400, "limit must be"),
            ("POST", "/say", #"{"text":"hi","output":"moon"}"#, 400, "unknown output 'moon'"),
            ("POST", "/say", #"{"text":"hi","voice":3}"#, 400, "'voice' must be a string"),
            ("POST", "/say", #"{"text":""}"#, 400, "the body must be"),
            ("POST", "/routines/quick/trigger", #"{"wait":"yes"}"#, 400, "'wait' must be true or false"),
            ("POST", "/routines/quick/trigger", #"[true]"#, 400, "JSON object"),
            ("POST", "/routines/quick/trigger", #"{"wait":true} trailing"#, 400, "JSON object"),
            ("PUT", "/headphones", #"{"mode":"on","extra":1}"#, 400, "on"),
            ("POST", "/events/x", #"{"a":null}"#, 400, "must be a string"),
        ]
        for (method, path, body, status, fragment) in cases {
            let (code, text) = try curl(daemon, method, path, body: body)
            #expect(code == status, "\(method) \(path): \(code) \(text)")
            let object = try jsonObject(text)
            #expect((object["error"] as? String)?.contains(fragment) == true, "\(method) \(path): \(text)")
        }
    }

    @Test func oversizedBodyIs413() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": DaemonIntegrationTests.waitOne])
        try daemon.start()
        let big = "{\"k\":\"" + String(repeating: "x", count: 70_000) + "\"}"
        let (code, text) = try curl(daemon, "POST", "/events/x", body: big)
        #expect(code == 413, "\(text)")
        // The daemon keeps serving.
        #expect(try daemon.cli(["status"]).status == 0)
    }

    @Test func routesAnswer() throws {
        let daemon = try DaemonProcess(routines: [
            "quick.json": DaemonIntegrationTests.waitOne,
            "daily.json": #"{"triggers":[{"cron":"0 7 * * *"}],"actions":[{"wait":0}]}"#,
        ])
        try daemon.start()
        for path in ["/status", "/routines", "/routines/quick", "/headphones", "/next", "/history", "/outputs"] {
            let (code, text) = try curl(daemon, "GET", path)
            #expect(code == 200, "\(path): \(text)")
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "\(path): \(text)")
        }
        let (code, metrics) = try curl(daemon, "GET", "/metrics")
        #expect(code == 200)
        #expect(metrics.contains("routines_routines_loaded 2.0"))
        let next = try jsonArray(try daemon.cli(["next", "--json", "--count", "2"]).stdout)
        #expect(next.count == 2)
        #expect(
            next.allSatisfy {
                ($0["routine"] as? String) == "daily" && ($0["time"] as? String)?.hasSuffix(":00") == true
            })
        let (triggered, body) = try curl(daemon, "POST", "/routines/quick/trigger", body: #"{"wait":true}"#)
        #expect(triggered == 200)
        #expect(try jsonObject(body)["outcome"] as? String == "success")
        // Keys come sorted, numbers as numbers, absent values as null.
        #expect(body == #"{"error":null,"outcome":"success","routine":"quick","run":1}"# + "\n", "\(body)")
        // Event data: numbers and booleans become the strings routines match on.
        let (raised, echoed) = try curl(
            daemon, "POST", "/events/door", body: #"{"n":2,"x":1.5,"open":true,"who":"é \"q\""}"#)
        #expect(raised == 202)
        #expect(
            echoed == #"{"data":{"n":"2","open":"true","who":"é \"q\"","x":"1.5"},"event":"door","started":0}"# + "\n",
            "\(echoed)")
    }
}
