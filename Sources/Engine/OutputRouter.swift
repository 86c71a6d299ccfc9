import RoutineModel

/// Picks the output of an audio action (SPEC §5): an explicit `output` wins; else the headphone
/// output while headphone mode is on; else the default output.
struct OutputRouter: Sendable {
    var config: Config

    /// The output for an action naming `explicit` (or nothing).
    func output(explicit: String?, headphoneMode: Bool) -> String {
        if let explicit { return explicit }
        return headphoneMode ? config.headphoneOutput : config.defaultOutput
    }

    /// The output's lead-in before announcements (Bluetooth outputs waking up), if any.
    func leadIn(of output: String) -> Duration? {
        guard let lead = config.outputs[output]?.leadIn, lead > .zero else { return nil }
        return lead
    }
}
