/// One trigger of a routine: exactly one kind plus the options shared by schedule triggers.
public struct Trigger: Sendable, Equatable {
    /// Optional identifier, shown by `routines next` instead of the trigger's index.
    public var id: String?
    /// What fires the trigger.
    public var kind: TriggerKind
    /// Random delay in `[0, jitter]` added to each fire (schedule triggers only).
    public var jitter: Duration?
    /// A fire missed while the daemon was down runs once at start if at most this late.
    public var catchUp: Duration?
    /// IANA zone (`Area/City`) for wall-clock triggers; else the config's, else the system's.
    public var timezone: String?

    /// Creates a trigger.
    public init(
        id: String? = nil, kind: TriggerKind, jitter: Duration? = nil, catchUp: Duration? = nil,
        timezone: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.jitter = jitter
        self.catchUp = catchUp
        self.timezone = timezone
    }

    /// Whether this trigger fires at wall-clock instants (`at`, `cron`, `sun`).
    public var isWallClock: Bool {
        switch kind {
        case .at, .cron, .sun: return true
        default: return false
        }
    }
}

/// The kinds of trigger (SPEC §3).
public enum TriggerKind: Sendable, Equatable {
    /// Local wall-clock time with an optional weekday filter (`nil`: every day).
    case at(TimeOfDay, days: Set<Weekday>?)
    /// A cron expression, already parsed and checked.
    case cron(CronExpression)
    /// A fixed interval on the monotonic clock; first run one interval after load.
    case every(Duration)
    /// Sunrise or sunset with an offset (negative: before).
    case sun(SunEvent, offset: Duration)
    /// A named event whose data matches all given keys (each key: any of the values).
    case event(name: String, match: [String: [String]])
    /// The output has played nothing for the duration while it is active.
    case idle(output: String, for: Duration)
    /// Once when the daemon starts.
    case startup
    /// An MQTT message on a topic matching `topic` (`+`/`#` wildcards) whose payload matches `payload`
    /// (nil: any payload; see `MQTTPayloadMatch`).
    case mqtt(topic: String, payload: JSONValue?)
}

/// Sunrise or sunset.
public enum SunEvent: String, Sendable, Equatable, CaseIterable {
    case sunrise
    case sunset
}

/// A day of the week; raw values follow cron (`sun` = 0 … `sat` = 6).
public enum Weekday: Int, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    case sun = 0, mon, tue, wed, thu, fri, sat

    /// The three-letter lowercase name used in routine files (`mon`).
    public var name: String {
        ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][rawValue]
    }

    /// Parses `mon`…`sun` (case-insensitive).
    public init?(name: String) {
        guard let day = Weekday.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = day
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A wall-clock time of day, `HH:MM[:SS]`.
public struct TimeOfDay: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int
    public var second: Int

    /// Creates a time of day; values are not checked here (the parser checks them).
    public init(hour: Int, minute: Int, second: Int = 0) {
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Parses `HH:MM` or `HH:MM:SS` (24-hour); nil when malformed or out of range.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var values: [Int] = []
        for part in parts {
            guard (1...2).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(part)
            else { return nil }
            values.append(v)
        }
        guard values[0] < 24, values[1] < 60 else { return nil }
        let second = values.count == 3 ? values[2] : 0
        guard second < 60 else { return nil }
        self.init(hour: values[0], minute: values[1], second: second)
    }

    /// Seconds since midnight.
    public var secondsOfDay: Int { hour * 3600 + minute * 60 + second }

    public var description: String {
        second == 0
            ? "\(pad(hour)):\(pad(minute))"
            : "\(pad(hour)):\(pad(minute)):\(pad(second))"
    }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.secondsOfDay < rhs.secondsOfDay }
}

private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
