/// A routine: one `*.json` file in the routines folder, decoded and validated.
///
/// The name is the file name without `.json`; it is never part of the file itself.
public struct Routine: Sendable, Equatable {
    /// The routine's name, from its file name (`good-morning.json` is `good-morning`).
    public var name: String
    /// Free text shown by `routines list`.
    public var description: String?
    /// A disabled routine is loaded and listed but never started by its triggers.
    public var enabled: Bool
    /// What a trigger does while the routine is already running.
    public var mode: RunMode
    /// Bound for `queued` and `parallel` modes (default 10).
    public var max: Int
    /// What starts the routine; at least one.
    public var triggers: [Trigger]
    /// All must hold when a trigger fires.
    public var conditions: [Condition]
    /// Run in order.
    public var actions: [Action]

    /// Creates a routine from its parts.
    public init(
        name: String,
        description: String? = nil,
        enabled: Bool = true,
        mode: RunMode = .single,
        max: Int = 10,
        triggers: [Trigger],
        conditions: [Condition] = [],
        actions: [Action]
    ) {
        self.name = name
        self.description = description
        self.enabled = enabled
        self.mode = mode
        self.max = max
        self.triggers = triggers
        self.conditions = conditions
        self.actions = actions
    }
}

/// What a trigger does while its routine is running.
public enum RunMode: String, Sendable, Equatable, CaseIterable {
    /// Ignore the new trigger and log it.
    case single
    /// Stop the running run and start again.
    case restart
    /// Start the new run after the running ones finish (at most `max` waiting).
    case queued
    /// Start the new run alongside (at most `max` at once).
    case parallel
}
