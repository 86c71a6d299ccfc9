/// A condition of a routine, evaluated when a trigger fires (SPEC §3).
public indirect enum Condition: Sendable, Equatable {
    /// Headphone mode is on (`true`) or off (`false`).
    case headphoneMode(Bool)
    /// Local time is in `[after, before)`; the window may cross midnight. Either bound may be absent.
    case time(after: TimeOfDay?, before: TimeOfDay?)
    /// Today is one of these weekdays.
    case days(Set<Weekday>)
    /// The Bluetooth device with this address (upper-case `AA:BB:CC:DD:EE:FF`) is connected.
    case connected(String)
    /// The inner condition does not hold.
    case not(Condition)
    /// At least one holds.
    case any([Condition])
    /// All hold.
    case all([Condition])
}
