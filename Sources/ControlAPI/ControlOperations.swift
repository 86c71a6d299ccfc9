/// What the control API can do, typed: the route table (HTTP) and the MQTT bridge call these, the
/// daemon implements them against the engine (`EngineAPI`). Input the API's format already checked
/// (JSON shapes, numbers in range) arrives typed; what only the engine knows (a routine's name, an
/// output) is checked here and refused with an `APIError`.
public protocol ControlOperations: Sendable {
    /// Headphone mode, routine counts and invalid files, outputs, runs in progress, the next fires.
    func status() async throws(APIError) -> StatusReply
    /// Every routine, and every file that never validated, by name.
    func routines() async throws(APIError) -> [RoutineReply]
    /// One routine with its next 5 fires (404 for an unknown name).
    func routine(_ name: String) async throws(APIError) -> RoutineDetailReply
    /// Starts a routine now, its conditions skipped; `source` is recorded as the run's trigger.
    func trigger(_ name: String, _ request: TriggerRequest, source: String) async throws(APIError) -> TriggerReply
    /// Stops a routine's runs and drops its queued ones; returns once they have ended.
    func stop(_ name: String) async throws(APIError) -> StopReply
    /// Stops every run of every routine.
    func stopAll() async throws(APIError) -> [StopReply]
    /// Enables or disables a routine (kept in the state database).
    func setEnabled(_ name: String, _ enabled: Bool) async throws(APIError) -> EnabledReply
    /// Raises an event (400 for a name that is not an event name).
    func raise(_ event: String, data: EventData, source: String) async throws(APIError) -> EventReply
    /// Headphone mode.
    func headphones() async throws(APIError) -> HeadphonesReply
    /// Switches headphone mode (409 without a second output).
    func setHeadphones(_ request: HeadphonesRequest) async throws(APIError) -> HeadphonesReply
    /// The next `count` fires, of one routine or of all.
    func next(routine: String?, count: Int) async throws(APIError) -> [FireReply]
    /// Past runs, newest first.
    func history(routine: String?, limit: Int) async throws(APIError) -> [RunReply]
    /// Each output, test-opened.
    func outputs() async throws(APIError) -> [OutputReply]
    /// Speaks a text once; returns when it has been spoken.
    func say(_ request: SayRequest) async throws(APIError) -> SayReply
    /// The Prometheus text.
    func metrics() async throws(APIError) -> String
}
