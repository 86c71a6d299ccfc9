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

/// How a run ended (the history's terminal outcomes).
public enum RunOutcome: String, Sendable, Equatable, CaseIterable, Codable {
    /// Every action ran (or failed with `continueOnError`).
    case success
    /// An action failed; the run's error says which and why.
    case failed
    /// Stopped on purpose: `routines stop`, a `restart` trigger, its output turning inactive, its
    /// file removed.
    case cancelled
    /// The daemon stopped (or was killed) during the run.
    case interrupted
    /// A queued run that never started (a `restart` trigger replaced it).
    case skipped
}

/// What `Engine.trigger(_:wait:)` reports.
public enum TriggerResult: Sendable, Equatable {
    /// The run was started (or queued) and not waited for.
    case started(runID: Int)
    /// The run finished (with `wait: true`).
    case finished(runID: Int, outcome: RunOutcome, error: String?)
    /// The run mode refused it (e.g. `single` while running); the reason is a full sentence.
    case ignored(String)
    /// The routine is disabled (`routines disable` or its file's `"enabled": false`); `force` runs it anyway.
    case disabled(String)
}

/// What `Engine.stop(_:)` did.
public struct StopResult: Sendable, Equatable {
    /// Runs that were running and are now stopped (their history ends `cancelled`).
    public var stopped: [Int]
    /// Queued runs that were dropped before they started.
    public var dropped: [Int]
    public init(stopped: [Int] = [], dropped: [Int] = []) {
        self.stopped = stopped
        self.dropped = dropped
    }
}

/// Who decides whether a routine is enabled.
public enum EnabledSource: String, Sendable, Equatable, Codable {
    /// The routine file's `"enabled"` (true when absent).
    case file
    /// `routines enable` / `routines disable`, kept in the state database.
    case state
}

/// An error of the engine, fit for a user: names the routine, output or action.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, so front ends map it to a status (HTTP 404, 409, …) without reading the text.
    public enum Kind: Sendable, Equatable {
        /// The request could not be carried out.
        case failed
        /// The routine, output or run named does not exist.
        case notFound
    }
    /// What went wrong, for the user.
    public var message: String
    public var kind: Kind
    public init(_ message: String, kind: Kind = .failed) {
        self.message = message
        self.kind = kind
    }
    /// The message.
    public var description: String { message }
}
