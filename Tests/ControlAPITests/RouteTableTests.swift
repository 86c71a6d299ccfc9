import RoutineModel
import Testing

@testable import ControlAPI

/// Every route of the table called in process (no socket): what each decodes and calls, what it
/// answers, and how it refuses malformed input.
@Suite struct RouteTableTests {
    /// Calls the route table with `target` as the HTTP server would.
    static func call(
        _ operations: RecordingOperations, _ method: String, _ target: String, _ body: String = "",
        source: String = "api"
    ) async throws -> (status: Int, text: String, response: APIResponse) {
        let request = try #require(APIRequest(method: method, target: target, body: Array(body.utf8), source: source))
        let response = await APIRouter(operations: operations).handle(request)
        return (response.status, String(decoding: response.body, as: UTF8.self), response)
    }

    /// One valid request per route, the call it makes and the status it answers.
    static let valid: [(method: String, target: String, body: String, call: String, status: Int)] = [
        ("GET", "/status", "", "status", 200),
        ("GET", "/routines", "", "routines", 200),
        ("GET", "/routines/quick", "", "routine quick", 200),
        ("POST", "/routines/quick/trigger", "", "trigger quick wait=false force=false data=[] source=cli", 202),
        (
            "POST", "/routines/quick/trigger", #"{"wait":true,"force":true,"data":{"room":"kitchen","n":2,"on":true}}"#,
            #"trigger quick wait=true force=true data=["n=2", "on=true", "room=kitchen"] source=cli"#, 200
        ),
        ("POST", "/routines/quick/stop", "", "stop quick", 200),
        ("POST", "/routines/quick/enable", "{}", "setEnabled quick true", 200),
        ("POST", "/routines/quick/disable", "", "setEnabled quick false", 200),
        ("POST", "/stop", "", "stopAll", 200),
        (
            "POST", "/events/door.opened", #"{"room":"hall","x":1.5}"#,
            #"raise door.opened data=["room=hall", "x=1.5"] source=cli"#, 202
        ),
        ("POST", "/events/door.opened", "", "raise door.opened data=[] source=cli", 202),
        ("GET", "/headphones", "", "headphones", 200),
        ("PUT", "/headphones", #"{"mode":"toggle"}"#, "setHeadphones toggle", 200),
        ("GET", "/next", "", "next - 10", 200),
        ("GET", "/next?routine=quick&count=3", "", "next quick 3", 200),
        ("GET", "/history", "", "history - 20", 200),
        ("GET", "/history?routine=gone&limit=10000", "", "history gone 10000", 200),
        ("GET", "/outputs", "", "outputs", 200),
        ("POST", "/say", #"{"text":"hello","voice":"en"}"#, "say hello output=- voice=en", 200),
        ("GET", "/metrics", "", "metrics", 200),
    ]

    @Test func everyRouteAnswersWithItsOperation() async throws {
        var exercised: Set<String> = []
        for request in Self.valid {
            let operations = RecordingOperations()
            let (status, text, response) = try await Self.call(
                operations, request.method, request.target, request.body, source: "cli")
            #expect(status == request.status, "\(request.method) \(request.target): \(text)")
            #expect(operations.calls == [request.call], "\(request.method) \(request.target)")
            #expect(text.hasSuffix("\n"))
            if request.target == "/metrics" {
                #expect(response.contentType == "text/plain; version=0.0.4")
            } else {
                #expect(response.contentType == "application/json")
                #expect((try? JSONParser.parse(response.body)) != nil, "\(request.target): \(text)")
            }
            let segments = try #require(APIRequest(method: request.method, target: request.target)).segments
            let route = APIRoutes.all.first { $0.method.rawValue == request.method && $0.match(segments) != nil }
            exercised.insert("\(request.method) \(try #require(route).path)")
        }
        #expect(exercised == Set(APIRoutes.all.map { "\($0.method.rawValue) \($0.path)" }), "a route without a test")
    }

    /// The replies' wire form: keys sorted, absent values null (or left out where the docs say so),
    /// numbers as numbers, a newline at the end.
    @Test func repliesKeepTheirWireForm() async throws {
        let operations = RecordingOperations()
        let waited = try await Self.call(operations, "POST", "/routines/quick/trigger", #"{"wait":true}"#)
        #expect(waited.text == #"{"error":null,"outcome":"success","routine":"quick","run":7}"# + "\n")
        let started = try await Self.call(operations, "POST", "/routines/quick/trigger")
        #expect(started.text == #"{"outcome":"started","routine":"quick","run":7}"# + "\n")
        let event = try await Self.call(
            operations, "POST", "/events/door", #"{"n":2,"x":1.5,"open":true,"who":"é \"q\""}"#)
        #expect(
            event.text == #"{"data":{"n":"2","open":"true","who":"é \"q\"","x":"1.5"},"event":"door","started":0}"#
                + "\n")
        let history = try await Self.call(operations, "GET", "/history")
        #expect(
            history.text
                == #"[{"endedAt":null,"error":null,"id":7,"outcome":"running","routine":"quick","startedAt":"2025-03-30T03:00:00+02:00","steps":[{"endedAt":null,"error":null,"index":0,"kind":"wait","note":null,"startedAt":"2025-03-30T03:00:00+02:00"}],"trigger":"cli"}]"#
                + "\n")
        let outputs = try await Self.call(operations, "GET", "/outputs")
        #expect(
            outputs.text
                == #"[{"active":true,"bluetooth":null,"burstsLastHour":0,"default":true,"error":null,"headphone":false,"hint":null,"lastAudio":null,"name":"speakers","nextKeepAlive":null,"nextRetry":null,"opens":null,"otherAudio":null,"pcm":"default","reason":null,"sink":null,"sinkProblem":null,"state":"active"}]"#
                + "\n")
        let detail = try await Self.call(operations, "GET", "/routines/quick")
        #expect(
            detail.text
                == #"{"description":null,"enabled":true,"enabledBy":"file","lastRun":null,"name":"quick","next":[{"routine":"quick","time":"2025-03-30T03:00:00+02:00","trigger":"0"}],"nextFire":null,"problems":[],"queued":0,"running":0,"valid":true}"#
                + "\n")
        let stop = try await Self.call(operations, "POST", "/routines/quick/stop")
        #expect(stop.text == #"{"dropped":[],"routine":"quick","stopped":[3],"wasRunning":true}"# + "\n")
        let error = try await Self.call(operations, "GET", "/routines/a%2Fb")
        #expect(error.text == #"{"error":"no routine named 'a/b'"}"# + "\n", "slashes are not escaped")
    }

    @Test func unknownPathIs404NamingTheRoutes() async throws {
        let operations = RecordingOperations()
        for target in ["/nowhere", "/routines/quick/explode", "/routines/quick/trigger/now", "/events", "/"] {
            let (status, text, _) = try await Self.call(operations, "GET", target)
            #expect(status == 404, "\(target): \(text)")
            #expect(text.contains("no route \(target == "/" ? "/" : target)"), "\(text)")
            #expect(text.contains("GET|PUT /headphones") && text.contains("POST /routines/{name}/trigger"), "\(text)")
        }
        #expect(operations.calls.isEmpty)
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let operations = RecordingOperations()
        let cases: [(String, String, String)] = [
            ("DELETE", "/status", "GET"), ("POST", "/headphones", "GET, PUT"),
            ("GET", "/routines/quick/trigger", "POST"),
            ("PUT", "/routines/quick", "GET"), ("GET", "/say", "POST"), ("HEAD", "/metrics", "GET"),
            ("GET", "/stop", "POST"), ("GET", "/events/x", "POST"),
        ]
        for (method, target, allow) in cases {
            let (status, text, response) = try await Self.call(operations, method, target)
            #expect(status == 405, "\(method) \(target): \(text)")
            #expect(response.headers["Allow"] == allow, "\(method) \(target)")
            #expect(text.contains("\(method) is not allowed on \(target)"), "\(text)")
        }
        #expect(operations.calls.isEmpty)
    }

    /// Malformed input: each is refused with a message naming what is wrong, and no operation runs.
    @Test func malformedInputIsRefusedBeforeAnyOperation() async throws {
        let cases: [(String, String, String, Int, String)] = [
            ("POST", "/routines/quick/trigger", "{not json", 400, "JSON object"),
            (
                "POST", "/routines/quick/trigger", #"{"wiat":true}"#, 400,
                "unknown key 'wiat' in the body; allowed: wait, force, data"
            ),
            ("POST", "/routines/quick/trigger", #"{"wait":1}"#, 400, "'wait' must be true or false"),
            ("POST", "/routines/quick/trigger", #"{"wait":"yes"}"#, 400, "'wait' must be true or false"),
            ("POST", "/routines/quick/trigger", #"{"force":null}"#, 400, "'force' must be true or false"),
            ("POST", "/routines/quick/trigger", "[true]", 400, "JSON object"),
            ("POST", "/routines/quick/trigger", #"{"wait":true} trailing"#, 400, "JSON object"),
            ("POST", "/routines/quick/trigger", #"{"wait":true,"wait":false}"#, 400, "JSON object"),
            ("POST", "/routines/quick/trigger", #"{"data":[1]}"#, 400, "data must be a JSON object of string values"),
            (
                "POST", "/routines/quick/trigger", #"{"data":{"a":{}}}"#, 400,
                "data 'a' must be a string, number or boolean"
            ),
            ("POST", "/routines/quick/trigger", String(repeating: "[", count: 5000), 400, "JSON object"),
            ("POST", "/routines/quick/stop", #"{"now":true}"#, 400, "this route takes no body (or {})"),
            ("POST", "/routines/quick/enable", "x", 400, "this route takes no body"),
            ("POST", "/stop", "[]", 400, "this route takes no body"),
            ("PUT", "/headphones", #"{"mode":"maybe"}"#, 400, #"the body must be {"mode": "on"|"off"|"toggle"}"#),
            ("PUT", "/headphones", #"{"mode":"on","extra":1}"#, 400, "the body must be"),
            ("PUT", "/headphones", "", 400, "the body must be"),
            ("PUT", "/headphones", #"{"mode":1}"#, 400, "the body must be"),
            ("POST", "/events/x", #"{"a":[1]}"#, 400, "event data 'a' must be a string, number or boolean"),
            ("POST", "/events/x", #"{"a":null}"#, 400, "must be a string"),
            ("POST", "/events/x", "nope", 400, "the body must be a JSON object of string values"),
            ("POST", "/events/x", "[]", 400, "event data must be a JSON object"),
            ("GET", "/next?count=0", "", 400, "count must be a whole number from 1 to 10000, got '0'"),
            ("GET", "/next?count=10001", "", 400, "count must be"),
            ("GET", "/next?count=abc", "", 400, "count must be"),
            ("GET", "/history?limit=abc", "", 400, "limit must be a whole number from 1 to 10000, got 'abc'"),
            ("GET", "/history?limit=-1", "", 400, "limit must be"),
            ("POST", "/say", #"{"text":""}"#, 400, "the body must be"),
            ("POST", "/say", "", 400, "the body must be"),
            ("POST", "/say", #"{"text":"hi","voice":3}"#, 400, "'voice' must be a string"),
            ("POST", "/say", #"{"text":"hi","loud":true}"#, 400, "unknown key 'loud'; allowed: text, output, voice"),
            ("POST", "/say", #"{"text":5}"#, 400, "the body must be"),
        ]
        for (method, target, body, status, fragment) in cases {
            let operations = RecordingOperations()
            let (code, text, _) = try await Self.call(operations, method, target, body)
            #expect(code == status, "\(method) \(target) \(body.prefix(40)): \(text)")
            let error = try JSONText.decode(ErrorReply.self, from: Array(text.utf8))
            #expect(error.error.contains(fragment), "\(method) \(target) \(body.prefix(40)): \(text)")
            #expect(operations.calls.isEmpty, "\(method) \(target) called \(operations.calls)")
        }
    }

    /// What only the operations know comes back as their `APIError`, with its status.
    @Test func operationErrorsKeepTheirStatus() async throws {
        let cases: [(String, String, String, Int, String)] = [
            ("POST", "/routines/nope/trigger", "", 404, "no routine named 'nope'"),
            ("GET", "/routines/nope", "", 404, "no routine named"),
            ("POST", "/routines/nope/stop", "", 404, "no routine named"),
            ("POST", "/routines/nope/disable", "", 404, "no routine named"),
            ("GET", "/next?routine=nope", "", 404, "no routine named"),
            ("PUT", "/headphones", #"{"mode":"on"}"#, 409, "needs a second output"),
            ("POST", "/say", #"{"text":"hi","output":"moon"}"#, 400, "unknown output 'moon'"),
        ]
        for (method, target, body, status, fragment) in cases {
            let (code, text, _) = try await Self.call(RecordingOperations(), method, target, body)
            #expect(code == status, "\(method) \(target): \(text)")
            #expect(try JSONText.decode(ErrorReply.self, from: Array(text.utf8)).error.contains(fragment), "\(text)")
        }
    }

    @Test func oversizedBodyIs413() async throws {
        let operations = RecordingOperations()
        let big = #"{"k":""# + String(repeating: "x", count: 70_000) + #""}"#
        let (status, text, _) = try await Self.call(operations, "POST", "/events/x", big)
        #expect(status == 413, "\(text.prefix(100))")
        #expect(text.contains("request body larger than 64 KiB"))
        #expect(operations.calls.isEmpty)
    }

    @Test func errorsQuotingTheRequestAreCut() async throws {
        let operations = RecordingOperations()
        let (status, text, _) = try await Self.call(
            operations, "GET", "/" + String(repeating: "a", count: 20_000))
        #expect(status == 404)
        #expect(text.count < 1000)
    }

    /// Each `APIError` kind has its status; a 405 names the methods in `Allow`.
    @Test func errorKindsMapToStatusCodes() {
        let kinds: [(APIError, Int)] = [
            (.badRequest("x"), 400), (.unauthorized("x"), 401), (.notFound("x"), 404),
            (.methodNotAllowed("x", allowed: [.get]), 405), (.conflict("x"), 409), (.payloadTooLarge("x"), 413),
            (.failed("x"), 500),
        ]
        for (error, status) in kinds {
            #expect(error.response.status == status)
            #expect(String(decoding: error.response.body, as: UTF8.self) == #"{"error":"x"}"# + "\n")
        }
        #expect(APIError.methodNotAllowed("x", allowed: [.get, .put]).response.headers == ["Allow": "GET, PUT"])
        #expect(APIError.notFound("x").response.headers.isEmpty)
    }

    /// The replies decode back into the same values (what the CLI reads is what the daemon wrote).
    @Test func repliesRoundTrip() throws {
        let status = StatusReply(
            version: "1", headphoneMode: .on,
            routines: RoutineCounts(loaded: 1, invalid: [InvalidFile(file: "bad.json", problems: ["x"])]),
            outputs: [RecordingOperations.output],
            running: [RunningReply(routine: "quick", run: 1, trigger: "cli", startedAt: nil)],
            next: [RecordingOperations.fire])
        #expect(try JSONText.decode(StatusReply.self, from: JSONText.encode(status)) == status)
        let invalid = RoutineDetailReply.invalid(InvalidRoutineReply(name: "bad", problems: ["bad.json: x"]))
        #expect(
            String(decoding: JSONText.encode(invalid), as: UTF8.self)
                == #"{"enabled":false,"name":"bad","problems":["bad.json: x"],"valid":false}"#)
        #expect(try JSONText.decode(RoutineDetailReply.self, from: JSONText.encode(invalid)) == invalid)
        let finished = TriggerReply(routine: "quick", run: 2, outcome: "failed", error: "actions[0] (play): gone")
        #expect(try JSONText.decode(TriggerReply.self, from: JSONText.encode(finished)) == finished)
        // A reply from an older daemon without a nullable field still reads.
        let old = try JSONText.decode(RunningReply.self, from: Array(#"{"routine":"a","run":1,"trigger":"cli"}"#.utf8))
        #expect(old.startedAt == nil)
    }

    /// The one writer: keys sorted by code point, the escapes JSON requires, slashes as they are.
    @Test func theWriterSortsByCodePointAndEscapes() {
        let text = String(decoding: JSONText.encode(["b": 1, "B": 2, "a": 3, "_": 4, "é": 5, "ä": 6]), as: UTF8.self)
        #expect(text == #"{"B":2,"_":4,"a":3,"b":1,"ä":6,"é":5}"#)
        #expect(JSONText.string("a\"b\\c\nd\u{1}/é") == #""a\"b\\c\nd\u0001/é""#)
        #expect(TriggerRequest(wait: true).data.values.isEmpty)
        #expect(
            String(decoding: JSONText.encode(TriggerRequest(wait: true)), as: UTF8.self)
                == #"{"force":false,"wait":true}"#)
    }
}
