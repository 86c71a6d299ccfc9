import ControlAPI
import Engine
import FoundationEssentials
import Prometheus
import RoutineModel
import Schedule

/// The control API's operations (SPEC §8) carried out by the engine, the routine library and the
/// store. The route table (`APIRouter`) and the MQTT bridge call these.
public struct EngineAPI: ControlOperations {
    let engine: Engine
    let library: RoutineLibrary
    let store: any StateStore
    let config: Config
    let zone: ZoneRules
    /// Per output; `true` also test-opens each PCM (for `GET /outputs` only).
    let outputsInfo: @Sendable (Bool) async -> [OutputReply]
    let version: String
    let metrics: PrometheusCollectorRegistry

    public init(
        engine: Engine, library: RoutineLibrary, store: any StateStore, config: Config, zone: ZoneRules,
        version: String, metrics: PrometheusCollectorRegistry,
        outputsInfo: @escaping @Sendable (Bool) async -> [OutputReply]
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

    public func status() async -> StatusReply {
        let status = await engine.status()
        let problems = await library.problems()
        let invalid = problems.filter { $0.value.contains { $0.severity == .error } }.sorted { $0.key < $1.key }.map {
            InvalidFile(file: $0.key, problems: $0.value.map(\.description))
        }
        return StatusReply(
            version: version, headphoneMode: HeadphoneMode(status.headphoneMode),
            routines: RoutineCounts(loaded: status.routines.count, invalid: invalid),
            outputs: await outputsInfo(false),
            running: status.running.map {
                RunningReply(routine: $0.routine, run: $0.id, trigger: $0.trigger, startedAt: iso($0.startedAt))
            },
            next: await engine.upcomingFires(count: 5).map(fireReply))
    }

    func routineReply(
        _ routine: RoutineStatus, problems: [Diagnostic], description: String?, lastRun: RunRecord?
    ) -> RoutineReply {
        RoutineReply(
            name: routine.name, description: description, enabled: routine.enabled,
            enabledBy: routine.enabledBy.rawValue, valid: !problems.contains { $0.severity == .error },
            problems: problems.map(\.description), lastRun: lastRun.map(lastRunReply),
            nextFire: iso(routine.nextFire), running: routine.running, queued: routine.queued)
    }

    public func routines() async -> [RoutineReply] {
        let status = await engine.status()
        let problems = await library.problems()
        // One read each of the library and of the history, whatever the number of routines.
        let loaded = await library.all()
        let lastRuns = (try? await store.lastRuns()) ?? [:]
        var rows: [RoutineReply] = []
        var seen: Set<String> = []
        for routine in status.routines {
            seen.insert(routine.name)
            rows.append(
                routineReply(
                    routine, problems: problems[routine.name + ".json"] ?? [],
                    description: loaded[routine.name]?.description, lastRun: lastRuns[routine.name]))
        }
        // Files that never had a valid version.
        for (file, diagnostics) in problems where !seen.contains(String(file.dropLast(5))) {
            rows.append(
                RoutineReply(
                    name: String(file.dropLast(5)), description: nil, enabled: false, enabledBy: nil, valid: false,
                    problems: diagnostics.map(\.description), lastRun: nil, nextFire: nil, running: 0, queued: 0))
        }
        rows.sort { $0.name < $1.name }
        return rows
    }

    func lastRunReply(_ run: RunRecord) -> LastRunReply {
        LastRunReply(startedAt: zone.iso8601(run.startedAt), outcome: run.outcome)
    }

    public func routine(_ name: String) async throws(APIError) -> RoutineDetailReply {
        let status = await engine.status()
        let problems = await library.problems()[name + ".json"] ?? []
        guard let routine = status.routines.first(where: { $0.name == name }) else {
            if !problems.isEmpty {
                return .invalid(InvalidRoutineReply(name: name, problems: problems.map(\.description)))
            }
            throw .notFound("no routine named '\(name)'")
        }
        let lastRun = try? await store.history(routine: name, limit: 1).first
        var reply = routineReply(
            routine, problems: problems, description: await library.routine(name)?.description, lastRun: lastRun)
        reply.next = await engine.upcomingFires(routine: name, count: 5).map(fireReply)
        return .routine(reply)
    }

    public func trigger(_ name: String, _ request: TriggerRequest, source: String) async throws(APIError)
        -> TriggerReply
    {
        if await library.routine(name) == nil, let problems = await library.problems()[name + ".json"],
            let first = problems.first(where: { $0.severity == .error })
        {
            // The file exists but never validated: say so rather than "no routine named".
            throw .conflict(
                "routine '\(name)' cannot run: its file is invalid (\(first.description)); fix it and check with 'routines validate'"
            )
        }
        let result: TriggerResult
        do {
            result = try await engine.trigger(
                name, wait: request.wait, force: request.force, source: source, data: request.data.values)
        } catch {
            throw Self.apiError(error)
        }
        switch result {
        case .started(let id):
            // Sent only now: the run's history row is committed.
            return TriggerReply(routine: name, run: id, outcome: "started")
        case .finished(let id, let outcome, let error):
            return TriggerReply(routine: name, run: id, outcome: outcome.rawValue, error: error)
        case .ignored(let reason), .disabled(let reason):
            throw .conflict(reason)
        }
    }

    public func stop(_ name: String) async throws(APIError) -> StopReply {
        do {
            let result = try await engine.stop(name)
            return StopReply(routine: name, stopped: result.stopped, dropped: result.dropped)
        } catch {
            throw Self.apiError(error)
        }
    }

    public func stopAll() async -> [StopReply] {
        let results = await engine.stopAll()
        return results.keys.sorted().map {
            StopReply(routine: $0, stopped: results[$0]!.stopped, dropped: results[$0]!.dropped)
        }
    }

    public func setEnabled(_ name: String, _ enabled: Bool) async throws(APIError) -> EnabledReply {
        do {
            try await engine.setEnabled(name, enabled)
        } catch let error as EngineError {
            throw Self.apiError(error)
        } catch {
            throw .failed("cannot \(enabled ? "enable" : "disable") \(name): \(error)")
        }
        let status = await engine.status().routines.first { $0.name == name }
        return EnabledReply(
            routine: name, enabled: status?.enabled ?? enabled, enabledBy: status?.enabledBy.rawValue ?? "state")
    }

    public func raise(_ event: String, data: EventData, source: String) async throws(APIError) -> EventReply {
        guard RoutineFileName.isValidName(event) else {
            throw .badRequest("'\(event)' is not an event name (lower-case letters, digits, '.', '_', '-')")
        }
        let started = await engine.raise(Event(event, data.values), source: source)
        return EventReply(event: event, data: data.values, started: started)
    }

    public func headphones() async -> HeadphonesReply {
        HeadphonesReply(mode: HeadphoneMode(await engine.isHeadphoneModeOn()))
    }

    public func setHeadphones(_ request: HeadphonesRequest) async throws(APIError) -> HeadphonesReply {
        do {
            return HeadphonesReply(mode: HeadphoneMode(try await engine.setHeadphoneMode(request.mode)))
        } catch {
            let message = "cannot switch headphone mode: \(error)"
            throw config.hasHeadphoneOutput ? .failed(message) : .conflict(message)
        }
    }

    public func next(routine: String?, count: Int) async throws(APIError) -> [FireReply] {
        if let routine, await library.routine(routine) == nil {
            throw .notFound("no routine named '\(routine)'")
        }
        return await engine.upcomingFires(routine: routine, count: count).map(fireReply)
    }

    public func history(routine: String?, limit: Int) async throws(APIError) -> [RunReply] {
        let runs: [RunRecord]
        do {
            runs = try await store.history(routine: routine, limit: limit)
        } catch {
            throw .failed("cannot read the history: \(error)")
        }
        if runs.isEmpty, let name = routine, await library.routine(name) == nil,
            await library.problems()[name + ".json"] == nil
        {
            // A deleted routine keeps its history; a name never seen is most likely a typo.
            let known = await library.names()
            throw .notFound(
                "no routine named '\(name)' and no runs of it in the history; routines: \(known.joined(separator: ", "))"
            )
        }
        return runs.map { run in
            RunReply(
                id: run.id, routine: run.routine, trigger: run.trigger, startedAt: zone.iso8601(run.startedAt),
                endedAt: iso(run.endedAt), outcome: run.outcome, error: run.error,
                steps: run.steps.map {
                    StepReply(
                        index: $0.index, kind: $0.kind, startedAt: zone.iso8601($0.startedAt), endedAt: iso($0.endedAt),
                        error: $0.error, note: $0.note)
                })
        }
    }

    public func outputs() async -> [OutputReply] {
        await outputsInfo(true)
    }

    public func say(_ request: SayRequest) async throws(APIError) -> SayReply {
        if let output = request.output, config.outputs[output] == nil {
            throw .badRequest(
                "unknown output '\(output)'; outputs: \(config.outputs.keys.sorted().joined(separator: ", "))")
        }
        do {
            try await engine.say(request.text, output: request.output, voice: request.voice ?? "")
        } catch {
            throw .failed("\(error)")
        }
        let on = await engine.isHeadphoneModeOn()
        return SayReply(output: request.output ?? (on ? config.headphoneOutput : config.defaultOutput))
    }

    public func metrics() async -> String {
        let status = await engine.status()
        let invalid = await library.problems().values.filter { $0.contains { $0.severity == .error } }.count
        let body = DaemonMetrics.render(
            metrics, headphoneMode: status.headphoneMode, loaded: status.routines.count, invalid: invalid,
            running: status.running.count, outputsActive: status.outputs.map { ($0.name, $0.active) })
        return String(decoding: body, as: UTF8.self)
    }

    // MARK: - Helpers

    /// An engine error by its kind: an unknown routine is 404, the rest 500.
    static func apiError(_ error: any Error) -> APIError {
        guard let error = error as? EngineError else { return .failed("\(error)") }
        return error.kind == .notFound ? .notFound(error.message) : .failed(error.message)
    }

    func iso(_ date: Date?) -> String? { date.map { zone.iso8601($0) } }

    func fireReply(_ fire: UpcomingFire) -> FireReply {
        let trigger = fire.trigger.split(separator: "#", maxSplits: 1).last.map(String.init) ?? fire.trigger
        return FireReply(routine: fire.routine, trigger: trigger, time: zone.iso8601(fire.time))
    }
}
