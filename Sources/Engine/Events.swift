import RoutineModel

/// A named event with string data (SPEC §6): raised by the daemon, by BlueZ, by `emit` actions, by
/// `routines event` and by `POST /events/NAME`.
public struct Event: Sendable, Equatable {
    /// `daemon.started`, `headphones.mode`, `device.connected`, …
    public var name: String
    /// Key/value data; `{event.KEY}` placeholders read it.
    public var data: [String: String]

    /// Creates an event.
    public init(_ name: String, _ data: [String: String] = [:]) {
        self.name = name
        self.data = data
    }

    /// Whether this event satisfies an `event` trigger: same name, and every `match` key present with
    /// one of the listed values.
    public func matches(name expected: String, match: [String: [String]]) -> Bool {
        guard name == expected else { return false }
        for (key, allowed) in match {
            guard let value = data[key], allowed.contains(value) else { return false }
        }
        return true
    }
}

/// How BlueZ describes a device (SPEC §6).
public enum DeviceKind: String, Sendable, Equatable, CaseIterable {
    case headphones, headset, speaker, other
}

/// A Bluetooth device as reported by the device watcher.
public struct DeviceInfo: Sendable, Equatable {
    /// `AA:BB:CC:DD:EE:FF`; compared case-insensitively.
    public var address: String
    /// The device's alias.
    public var name: String
    /// What BlueZ says it is.
    public var kind: DeviceKind

    /// Creates a device description.
    public init(address: String, name: String, kind: DeviceKind) {
        self.address = address
        self.name = name
        self.kind = kind
    }

    /// The data of `device.connected` / `device.disconnected`.
    var eventData: [String: String] { ["address": address.uppercased(), "name": name, "kind": kind.rawValue] }
}

/// One line of engine log; the daemon forwards it to swift-log.
public struct EngineLogEntry: Sendable, Equatable {
    /// Severity, in journald's terms.
    public enum Level: String, Sendable, Equatable { case debug, info, notice, warning, error }
    /// How serious.
    public var level: Level
    /// One line, naming the routine, output or device.
    public var message: String
    /// Creates a log entry.
    public init(_ level: Level, _ message: String) {
        self.level = level
        self.message = message
    }
}

/// How a run ended.
public enum RunOutcome: String, Sendable, Equatable {
    case success, error, interrupted
}

/// What `Engine.trigger(_:wait:)` reports.
public enum TriggerResult: Sendable, Equatable {
    /// The run was started (or queued) and not waited for.
    case started(runID: Int)
    /// The run finished (with `wait: true`).
    case finished(runID: Int, outcome: RunOutcome, error: String?)
    /// The run mode refused it (e.g. `single` while running); the reason is a full sentence.
    case ignored(String)
}

/// An error of the engine, fit for a user: names the routine, output or action.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for the user.
    public var message: String
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
