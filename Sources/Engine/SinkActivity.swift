import RoutineModel

/// What an audio server (PipeWire, PulseAudio) reports about the sink of a sink output
/// (`"outputs": {"headphones": {"sink": "…"}}`).
public enum SinkState: Sendable, Equatable {
    /// The server cannot be reached: the output is unavailable, with this reason.
    case serverUnavailable(String)
    /// The server runs but has no sink of that name (a Bluetooth headset that is not connected):
    /// the output is inactive.
    case missing
    /// The sink exists and no other program plays into it.
    case idle
    /// Another program plays into the sink (it is RUNNING with a stream of a client other than the
    /// daemon): the output is busy, its idle clock restarts when this ends.
    case playing
}

extension Engine {
    /// The audio server reports a sink output's sink: present or not, another program playing or not.
    ///
    /// While another program plays, the output is not idle (no idle trigger fires, so no keep-alive
    /// burst starts); when it stops, the idle clock restarts from that moment. A missing sink or an
    /// unreachable server makes the output inactive, which cancels a keep-alive in flight.
    public func sinkStateChanged(_ output: String, _ state: SinkState) {
        let wasActive = idle.isActive(output)
        guard idle.setSinkState(output, state, at: mono.now) else { return }
        if wasActive != idle.isActive(output) {
            sinkActivityChanged(output, state)
        } else {
            rearmIdleTimer(output)
        }
    }

    private func sinkActivityChanged(_ output: String, _ state: SinkState) {
        switch state {
        case .serverUnavailable(let reason): log(.warning, "output \(output) is unavailable: \(reason)")
        case .missing: log(.info, "output \(output): its sink is gone")
        case .idle, .playing: log(.info, "output \(output): its sink is there")
        }
        outputActivityChanged(output)
    }
}
