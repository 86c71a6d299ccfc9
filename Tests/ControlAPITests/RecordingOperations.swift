import ControlAPI
import RoutineModel
import Synchronization

/// Operations that record each call as a line and answer like a daemon with one routine, `quick`
/// (every other name is unknown), so the route table's decoding, checks and replies are seen alone.
final class RecordingOperations: ControlOperations {
    private let recorded = Mutex<[String]>([])

    /// The calls so far, one line each.
    var calls: [String] { recorded.withLock { $0 } }

    private func record(_ line: String) { recorded.withLock { $0.append(line) } }

    private func known(_ name: String) throws(APIError) {
        guard name == "quick" else { throw .notFound("no routine named '\(name)'") }
    }

    static let fire = FireReply(routine: "quick", trigger: "0", time: "2025-03-30T03:00:00+02:00")
    static let output = OutputReply(
        name: "speakers", pcm: "default", sink: nil, bluetooth: nil, sinkProblem: nil, otherAudio: nil, active: true,
        state: "active", reason: nil, nextRetry: nil, lastAudio: nil, nextKeepAlive: nil, burstsLastHour: 0, opens: nil,
        error: nil, hint: nil, isDefault: true, headphone: false)
    static let routine = RoutineReply(
        name: "quick", description: nil, enabled: true, enabledBy: "file", valid: true, problems: [], lastRun: nil,
        nextFire: nil, running: 0, queued: 0)

    func status() async throws(APIError) -> StatusReply {
        record("status")
        return StatusReply(
            version: "test", headphoneMode: .off, routines: RoutineCounts(loaded: 1, invalid: []),
            outputs: [Self.output], running: [], next: [Self.fire])
    }

    func routines() async throws(APIError) -> [RoutineReply] {
        record("routines")
        return [Self.routine]
    }

    func routine(_ name: String) async throws(APIError) -> RoutineDetailReply {
        record("routine \(name)")
        try known(name)
        var routine = Self.routine
        routine.next = [Self.fire]
        return .routine(routine)
    }

    func trigger(_ name: String, _ request: TriggerRequest, source: String) async throws(APIError) -> TriggerReply {
        let data = request.data.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        record("trigger \(name) wait=\(request.wait) force=\(request.force) data=\(data) source=\(source)")
        try known(name)
        return request.wait
            ? TriggerReply(routine: name, run: 7, outcome: "success")
            : TriggerReply(routine: name, run: 7, outcome: "started")
    }

    func stop(_ name: String) async throws(APIError) -> StopReply {
        record("stop \(name)")
        try known(name)
        return StopReply(routine: name, stopped: [3], dropped: [])
    }

    func stopAll() async throws(APIError) -> [StopReply] {
        record("stopAll")
        return [StopReply(routine: "quick", stopped: [], dropped: [])]
    }

    func setEnabled(_ name: String, _ enabled: Bool) async throws(APIError) -> EnabledReply {
        record("setEnabled \(name) \(enabled)")
        try known(name)
        return EnabledReply(routine: name, enabled: enabled, enabledBy: "state")
    }

    func raise(_ event: String, data: EventData, source: String) async throws(APIError) -> EventReply {
        let pairs = data.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        record("raise \(event) data=\(pairs) source=\(source)")
        return EventReply(event: event, data: data.values, started: 0)
    }

    func headphones() async throws(APIError) -> HeadphonesReply {
        record("headphones")
        return HeadphonesReply(mode: .off)
    }

    func setHeadphones(_ request: HeadphonesRequest) async throws(APIError) -> HeadphonesReply {
        record("setHeadphones \(request.mode.rawValue)")
        guard request.mode != .on else {
            throw .conflict("cannot switch headphone mode: headphone mode needs a second output")
        }
        return HeadphonesReply(mode: .off)
    }

    func next(routine: String?, count: Int) async throws(APIError) -> [FireReply] {
        record("next \(routine ?? "-") \(count)")
        if let routine { try known(routine) }
        return [Self.fire]
    }

    func history(routine: String?, limit: Int) async throws(APIError) -> [RunReply] {
        record("history \(routine ?? "-") \(limit)")
        return [
            RunReply(
                id: 7, routine: "quick", trigger: "cli", startedAt: "2025-03-30T03:00:00+02:00", endedAt: nil,
                outcome: "running", error: nil,
                steps: [
                    StepReply(
                        index: 0, kind: "wait", startedAt: "2025-03-30T03:00:00+02:00", endedAt: nil, error: nil,
                        note: nil)
                ])
        ]
    }

    func outputs() async throws(APIError) -> [OutputReply] {
        record("outputs")
        return [Self.output]
    }

    func say(_ request: SayRequest) async throws(APIError) -> SayReply {
        record("say \(request.text) output=\(request.output ?? "-") voice=\(request.voice ?? "-")")
        if let output = request.output, output != "speakers" {
            throw .badRequest("unknown output '\(output)'; outputs: speakers")
        }
        return SayReply(output: request.output ?? "speakers")
    }

    func metrics() async throws(APIError) -> String {
        record("metrics")
        return "routines_routines_loaded 1.0\n"
    }
}
