import Engine
import Foundation
import Prometheus
import RoutineModel
import Schedule

/// The control API's routes (SPEC §8) answered from the engine, the routine library and the store.
public struct EngineAPI: ControlAPIHandler {
    let engine: Engine
    let library: RoutineLibrary
    let store: any StateStore
    let config: Config
    let zone: ZoneRules
    /// Per output; `true` also test-opens each PCM (for `GET /outputs` only).
    let outputsInfo: @Sendable (Bool) async -> [[String: Any?]]
    let version: String
    let metrics: PrometheusCollectorRegistry

    public init(
        engine: Engine, library: RoutineLibrary, store: any StateStore, config: Config, zone: ZoneRules,
        version: String, metrics: PrometheusCollectorRegistry,
        outputsInfo: @escaping @Sendable (Bool) async -> [[String: Any?]]
    ) {
        self.engine = engine
        self.library = library
        self.metrics = metrics
        self.store = store
        self.config = config
        self.zone = zone
        self.version = version
        self.outputsInfo = outputsInfo
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let s = request.segments
        switch (request.method, s.count) {
        case ("GET", 1) where s[0] == "status": return await status()
        case ("GET", 1) where s[0] == "routines": return await routines()
        case ("GET", 2) where s[0] == "routines": return await routine(s[1])
        case ("POST", 3) where s[0] == "routines" && s[2] == "trigger":
            return await trigger(s[1], body: request.body, source: request.source)
        case ("POST", 3) where s[0] == "routines" && s[2] == "stop": return await stop(s[1], body: request.body)
        case ("POST", 3) where s[0] == "routines" && (s[2] == "enable" || s[2] == "disable"):
            return await setEnabled(s[1], s[2] == "enable", body: request.body)
        case ("POST", 1) where s[0] == "stop": return await stopAll(request.body)
        case ("POST", 2) where s[0] == "events": return await event(s[1], body: request.body, source: request.source)
        case ("GET", 1) where s[0] == "headphones": return await headphones()
        case ("PUT", 1) where s[0] == "headphones": return await setHeadphones(request.body)
        case ("GET", 1) where s[0] == "next": return await next(request.query)
        case ("GET", 1) where s[0] == "history": return await history(request.query)
        case ("GET", 1) where s[0] == "outputs": return await outputs()
        case ("POST", 1) where s[0] == "say": return await say(request.body)
        case ("GET", 1) where s[0] == "metrics": return await metrics()
        default:
            let known = [
                "GET /status", "GET /routines", "GET /routines/{name}", "POST /routines/{name}/trigger",
                "POST /routines/{name}/stop", "POST /routines/{name}/enable", "POST /routines/{name}/disable",
                "POST /stop", "POST /events/{name}", "GET|PUT /headphones", "GET /next", "GET /history", "GET /outputs",
                "POST /say", "GET /metrics",
            ]
            let path = "/" + s.joined(separator: "/")
            if Self.pathExists(s) {
                return .error(405, "\(request.method) is not allowed on \(path)")
            }
            return .error(404, "no route \(path); routes: \(known.joined(separator: ", "))")
        }
    }

    static func pathExists(_ s: [String]) -> Bool {
        switch s.count {
        case 1:
            return ["status", "routines", "headphones", "next", "history", "outputs", "say", "metrics", "stop"]
                .contains(s[0])
        case 2: return s[0] == "routines" || s[0] == "events"
        case 3: return s[0] == "routines" && ["trigger", "stop", "enable", "disable"].contains(s[2])
        default: return false
        }
    }

    // MARK: - Routes

    func status() async -> APIResponse {
        let status = await engine.status()
        let problems = await library.problems()
        let invalid = problems.filter { $0.value.contains { $0.severity == .error } }.sorted { $0.key < $1.key }.map {
            ["file": $0.key, "problems": $0.value.map(\.description)] as [String: Any]
        }
        let upcoming = await engine.upcomingFires(count: 5).map(fireJSON)
        let outputs = await outputsInfo(false)
        return json(
            200,
            [
                "version": version,
                "headphoneMode": status.headphoneMode ? "on" : "off",
                "routines": ["loaded": status.routines.count, "invalid": invalid] as [String: Any],
                "outputs": outputs,
                "running": status.running.map {
                    ["routine": $0.routine, "run": $0.id, "trigger": $0.trigger, "startedAt": iso($0.startedAt)]
                        as [String: Any?]
                },
                "next": upcoming,
            ])
    }

    func routineJSON(_ routine: RoutineStatus, problems: [Diagnostic], description: String?) -> [String: Any?] {
        [
            "name": routine.name, "description": description, "enabled": routine.enabled,
            "enabledBy": routine.enabledBy.rawValue,
            "valid": !problems.contains { $0.severity == .error }, "problems": problems.map(\.description),
            "lastRun": routine.lastRun.map { ["startedAt": iso($0)] }, "nextFire": iso(routine.nextFire),
            "running": routine.running, "queued": routine.queued,
        ]
    }

    func routines() async -> APIResponse {
        let status = await engine.status()
        let problems = await library.problems()
        // One read each of the library and of the history, whatever the number of routines.
        let loaded = await library.all()
        let lastRuns = (try? await store.lastRuns()) ?? [:]
        var rows: [[String: Any?]] = []
        var seen: Set<String> = []
        for routine in status.routines {
            seen.insert(routine.name)
            var row = routineJSON(
                routine, problems: problems[routine.name + ".json"] ?? [],
                description: loaded[routine.name]?.description)
            row["lastRun"] = lastRuns[routine.name].map(lastRunJSON)
            rows.append(row)
        }
        // Files that never had a valid version.
        for (file, diagnostics) in problems where !seen.contains(String(file.dropLast(5))) {
            rows.append([
                "name": String(file.dropLast(5)), "description": nil, "enabled": false, "valid": false,
                "problems": diagnostics.map(\.description), "lastRun": nil, "nextFire": nil, "running": 0, "queued": 0,
            ])
        }
        rows.sort { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        return json(200, rows)
    }

    func lastRun(_ name: String) async -> [String: Any?]? {
        guard let run = try? await store.history(routine: name, limit: 1).first else { return nil }
        return lastRunJSON(run)
    }

    func lastRunJSON(_ run: RunRecord) -> [String: Any?] {
        ["startedAt": iso(run.startedAt), "outcome": run.outcome]
    }

    func routine(_ name: String) async -> APIResponse {
        let status = await engine.status()
        let problems = await library.problems()[name + ".json"] ?? []
        guard let routine = status.routines.first(where: { $0.name == name }) else {
            if !problems.isEmpty {
                return json(
                    200,
                    [
                        "name": name, "valid": false, "problems": problems.map(\.description), "enabled": false,
                    ])
            }
            return .error(404, "no routine named '\(name)'")
        }
        var row = routineJSON(routine, problems: problems, description: await library.routine(name)?.description)
        row["lastRun"] = await lastRun(name)
        row["next"] = await engine.upcomingFires(routine: name, count: 5).map(fireJSON)
        return json(200, row)
    }

    func trigger(_ name: String, body: [UInt8], source: String) async -> APIResponse {
        var flags: [String: Bool] = [:]
        var data: [String: String] = [:]
        if !body.isEmpty {
            guard let object = parseObject(body) else {
                return .error(400, "the body must be a JSON object such as {\"wait\": true}")
            }
            for key in object.keys.sorted() where key != "wait" && key != "force" && key != "data" {
                return .error(400, "unknown key '\(key)' in the body; allowed: wait, force, data")
            }
            for (key, value) in object where key != "data" {
                guard case .bool(let flag) = value else { return .error(400, "'\(key)' must be true or false") }
                flags[key] = flag
            }
            if let value = object["data"] {
                switch stringData(value, what: "data") {
                case .success(let strings): data = strings
                case .failure(let message): return .error(400, message.message)
                }
            }
        }
        do {
            if await library.routine(name) == nil, let problems = await library.problems()[name + ".json"],
                let first = problems.first(where: { $0.severity == .error })
            {
                // The file exists but never validated: say so rather than "no routine named".
                return .error(
                    409,
                    "routine '\(name)' cannot run: its file is invalid (\(first.description)); fix it and check with 'routines validate'"
                )
            }
            switch try await engine.trigger(
                name, wait: flags["wait"] ?? false, force: flags["force"] ?? false, source: source, data: data)
            {
            case .started(let id):
                // Sent only now: the run's history row is committed.
                return json(202, ["routine": name, "run": id, "outcome": "started"])
            case .finished(let id, let outcome, let error):
                return json(200, ["routine": name, "run": id, "outcome": outcome.rawValue, "error": error as Any])
            case .ignored(let reason), .disabled(let reason):
                return .error(409, reason)
            }
        } catch let error as EngineError {
            return .error(error.kind == .notFound ? 404 : 500, error.message)
        } catch {
            return .error(500, "\(error)")
        }
    }

    func stop(_ name: String, body: [UInt8]) async -> APIResponse {
        if let problem = emptyBody(body) { return problem }
        do {
            let result = try await engine.stop(name)
            return json(200, stopJSON(name, result))
        } catch let error as EngineError {
            return .error(error.kind == .notFound ? 404 : 500, error.message)
        } catch {
            return .error(500, "\(error)")
        }
    }

    func stopAll(_ body: [UInt8]) async -> APIResponse {
        if let problem = emptyBody(body) { return problem }
        let results = await engine.stopAll()
        return json(200, results.keys.sorted().map { stopJSON($0, results[$0]!) })
    }

    func stopJSON(_ name: String, _ result: StopResult) -> [String: Any?] {
        [
            "routine": name, "stopped": result.stopped, "dropped": result.dropped,
            "wasRunning": !result.stopped.isEmpty || !result.dropped.isEmpty,
        ]
    }

    func setEnabled(_ name: String, _ enabled: Bool, body: [UInt8]) async -> APIResponse {
        if let problem = emptyBody(body) { return problem }
        do {
            try await engine.setEnabled(name, enabled)
            let status = await engine.status().routines.first { $0.name == name }
            return json(
                200,
                [
                    "routine": name, "enabled": status?.enabled ?? enabled,
                    "enabledBy": status?.enabledBy.rawValue ?? "state",
                ])
        } catch let error as EngineError {
            return .error(error.kind == .notFound ? 404 : 500, error.message)
        } catch {
            return .error(500, "cannot \(enabled ? "enable" : "disable") \(name): \(error)")
        }
    }

    /// Routes that take no body accept none, or an empty JSON object.
    func emptyBody(_ body: [UInt8]) -> APIResponse? {
        guard !body.isEmpty else { return nil }
        guard let object = parseObject(body), object.isEmpty else {
            return .error(400, "this route takes no body (or {})")
        }
        return nil
    }

    func event(_ name: String, body: [UInt8], source: String) async -> APIResponse {
        guard RoutineFileName.isValidName(name) else {
            return .error(400, "'\(name)' is not an event name (lower-case letters, digits, '.', '_', '-')")
        }
        var data: [String: String] = [:]
        if !body.isEmpty {
            guard let node = try? JSONParser.parse(body) else {
                return .error(400, "the body must be a JSON object of string values, e.g. {\"room\": \"kitchen\"}")
            }
            switch stringData(node.value, what: "event data") {
            case .success(let strings): data = strings
            case .failure(let message): return .error(400, message.message)
            }
        }
        let started = await engine.raise(Event(name, data), source: source)
        return json(202, ["event": name, "data": data, "started": started])
    }

    func headphones() async -> APIResponse {
        json(200, ["mode": await engine.isHeadphoneModeOn() ? "on" : "off"])
    }

    func setHeadphones(_ body: [UInt8]) async -> APIResponse {
        guard let object = parseObject(body), case .string(let mode) = object["mode"],
            let change = HeadphoneModeChange(rawValue: mode), object.count == 1
        else {
            return .error(400, "the body must be {\"mode\": \"on\"|\"off\"|\"toggle\"}")
        }
        do {
            let on = try await engine.setHeadphoneMode(change)
            return json(200, ["mode": on ? "on" : "off"])
        } catch {
            return .error(config.hasHeadphoneOutput ? 500 : 409, "cannot switch headphone mode: \(error)")
        }
    }

    func next(_ query: [String: String]) async -> APIResponse {
        var count = 10
        if let text = query["count"] {
            guard let value = Int(text), (1...10_000).contains(value) else {
                return .error(400, "count must be a whole number from 1 to 10000, got '\(text)'")
            }
            count = value
        }
        let routine = query["routine"]
        if let routine, await library.routine(routine) == nil {
            return .error(404, "no routine named '\(routine)'")
        }
        return json(200, await engine.upcomingFires(routine: routine, count: count).map(fireJSON))
    }

    func history(_ query: [String: String]) async -> APIResponse {
        var limit = 20
        if let text = query["limit"] {
            guard let value = Int(text), (1...10_000).contains(value) else {
                return .error(400, "limit must be a whole number from 1 to 10000, got '\(text)'")
            }
            limit = value
        }
        do {
            let runs = try await store.history(routine: query["routine"], limit: limit)
            if runs.isEmpty, let name = query["routine"], await library.routine(name) == nil,
                await library.problems()[name + ".json"] == nil
            {
                // A deleted routine keeps its history; a name never seen is most likely a typo.
                let known = await library.names()
                return .error(
                    404,
                    "no routine named '\(name)' and no runs of it in the history; routines: \(known.joined(separator: ", "))"
                )
            }
            return json(
                200,
                runs.map { run -> [String: Any?] in
                    [
                        "id": run.id, "routine": run.routine, "trigger": run.trigger, "startedAt": iso(run.startedAt),
                        "endedAt": iso(run.endedAt), "outcome": run.outcome, "error": run.error,
                        "steps": run.steps.map {
                            [
                                "index": $0.index, "kind": $0.kind, "startedAt": iso($0.startedAt),
                                "endedAt": iso($0.endedAt),
                                "error": $0.error, "note": $0.note,
                            ] as [String: Any?]
                        },
                    ]
                })
        } catch {
            return .error(500, "cannot read the history: \(error)")
        }
    }

    func outputs() async -> APIResponse {
        json(200, await outputsInfo(true))
    }

    func say(_ body: [UInt8]) async -> APIResponse {
        guard let object = parseObject(body), case .string(let text) = object["text"], !text.isEmpty else {
            return .error(
                400, "the body must be {\"text\": \"…\", \"output\": NAME (optional), \"voice\": V (optional)}")
        }
        for key in object.keys where !["text", "output", "voice"].contains(key) {
            return .error(400, "unknown key '\(key)'; allowed: text, output, voice")
        }
        var strings: [String: String] = [:]
        for key in ["output", "voice"] {
            switch object[key] {
            case nil: break
            case .string(let value): strings[key] = value
            default: return .error(400, "'\(key)' must be a string")
            }
        }
        let output = strings["output"]
        if let output, config.outputs[output] == nil {
            return .error(
                400, "unknown output '\(output)'; outputs: \(config.outputs.keys.sorted().joined(separator: ", "))")
        }
        do {
            try await engine.say(text, output: output, voice: strings["voice"] ?? "")
            let on = await engine.isHeadphoneModeOn()
            return json(200, ["output": output ?? (on ? config.headphoneOutput : config.defaultOutput)])
        } catch {
            return .error(500, "\(error)")
        }
    }

    func metrics() async -> APIResponse {
        let status = await engine.status()
        let invalid = await library.problems().values.filter { $0.contains { $0.severity == .error } }.count
        let body = DaemonMetrics.render(
            metrics, headphoneMode: status.headphoneMode, loaded: status.routines.count, invalid: invalid,
            running: status.running.count, outputsActive: status.outputs.map { ($0.name, $0.active) })
        return APIResponse(status: 200, contentType: "text/plain; version=0.0.4", body: body)
    }

    // MARK: - JSON helpers

    func iso(_ date: Date?) -> String? { date.map { zone.iso8601($0) } }

    func fireJSON(_ fire: UpcomingFire) -> [String: Any?] {
        let trigger = fire.trigger.split(separator: "#", maxSplits: 1).last.map(String.init) ?? fire.trigger
        return ["routine": fire.routine, "trigger": trigger, "time": zone.iso8601(fire.time)]
    }

    /// An object of string, number or boolean values as strings (event data, trigger variables).
    func stringData(_ value: JSONValue, what: String) -> Result<[String: String], EngineError> {
        guard case .object(let members) = value else {
            return .failure(EngineError("\(what) must be a JSON object of string values, e.g. {\"room\": \"kitchen\"}"))
        }
        var data: [String: String] = [:]
        for member in members {
            switch member.value.value {
            case .string(let text): data[member.key] = text
            case .number(let number): data[member.key] = JSONResponse.number(number)
            case .bool(let flag): data[member.key] = flag ? "true" : "false"
            default: return .failure(EngineError("\(what) '\(member.key)' must be a string, number or boolean"))
            }
        }
        return .success(data)
    }

    /// A request body that must be one JSON object (the last of duplicate keys wins); nil otherwise.
    func parseObject(_ body: [UInt8]) -> [String: JSONValue]? {
        guard let node = try? JSONParser.parse(body), case .object(let members) = node.value else { return nil }
        var object: [String: JSONValue] = [:]
        for member in members { object[member.key] = member.value.value }
        return object
    }

    func json(_ status: Int, _ value: Any) -> APIResponse {
        APIResponse(status: status, body: Array((JSONResponse.encode(value) + "\n").utf8))
    }
}
