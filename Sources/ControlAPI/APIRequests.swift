import RoutineModel

/// The bodies the API reads. Each decodes with the one JSON reader (`JSONText.decode`) and refuses
/// what it does not know, with a message that names the key and shows the shape it wants.
public protocol RequestBody: Decodable {
    /// The message for a body that is not JSON, or not the JSON object this body is.
    static var shape: String { get }
}

/// A key of an object whose keys are not known in advance.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Variables a run sees as `{event.KEY}`: an object of string, number or boolean values, kept as
/// strings (`2` → "2", `1.5` → "1.5", `true` → "true"), as event triggers match them.
public struct EventData: Codable, Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// A value that is not a string, number or boolean, or data that is not an object.
    public enum Problem: Error, Sendable, Equatable {
        case notAnObject
        case badValue(key: String)

        /// The message, naming the data as `what` ("event data", "data").
        public func message(_ what: String) -> String {
            switch self {
            case .notAnObject: return "\(what) must be a JSON object of string values, e.g. {\"room\": \"kitchen\"}"
            case .badValue(let key): return "\(what) '\(key)' must be a string, number or boolean"
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else { throw Problem.notAnObject }
        var values: [String: String] = [:]
        for key in container.allKeys {
            if let flag = try? container.decode(Bool.self, forKey: key) {
                values[key.stringValue] = flag ? "true" : "false"
            } else if let number = try? container.decode(Double.self, forKey: key) {
                values[key.stringValue] = Self.text(number)
            } else if let text = try? container.decode(String.self, forKey: key) {
                values[key.stringValue] = text
            } else {
                throw Problem.badValue(key: key.stringValue)
            }
        }
        self.values = values
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    /// Integers without a fraction, others in Swift's shortest round-trip form.
    static func text(_ number: Double) -> String {
        if number.isFinite, number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
            return String(Int64(number))
        }
        return "\(number)"
    }

    /// Data from a whole body or payload (empty: none); `what` names it in messages.
    public static func decode(_ bytes: [UInt8], what: String) throws(APIError) -> EventData {
        guard !bytes.isEmpty else { return EventData() }
        do {
            return try JSONText.decode(EventData.self, from: bytes)
        } catch let problem as Problem {
            throw .badRequest(problem.message(what))
        } catch {
            throw .badRequest("the body must be a JSON object of string values, e.g. {\"room\": \"kitchen\"}")
        }
    }
}

/// `POST /routines/{name}/trigger`: `{"wait": true, "force": true, "data": {"room": "kitchen"}}`,
/// every key optional.
public struct TriggerRequest: Codable, Sendable, Equatable, RequestBody {
    /// Answer when the run has ended (200) instead of once it is recorded (202).
    public var wait: Bool
    /// Run a disabled routine.
    public var force: Bool
    /// Variables the run sees as `{event.KEY}`.
    public var data: EventData

    public static let shape = "the body must be a JSON object such as {\"wait\": true}"

    public init(wait: Bool = false, force: Bool = false, data: [String: String] = [:]) {
        self.wait = wait
        self.force = force
        self.data = EventData(data)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let keys = container.allKeys.map(\.stringValue)
        for key in keys.sorted() where !["wait", "force", "data"].contains(key) {
            throw APIError.badRequest("unknown key '\(key)' in the body; allowed: wait, force, data")
        }
        func flag(_ name: String) throws -> Bool {
            guard keys.contains(name) else { return false }
            guard let value = try? container.decode(Bool.self, forKey: AnyKey(stringValue: name)) else {
                throw APIError.badRequest("'\(name)' must be true or false")
            }
            return value
        }
        wait = try flag("wait")
        force = try flag("force")
        if keys.contains("data") {
            do {
                data = try container.decode(EventData.self, forKey: AnyKey(stringValue: "data"))
            } catch let problem as EventData.Problem {
                throw APIError.badRequest(problem.message("data"))
            }
        } else {
            data = EventData()
        }
    }

    enum CodingKeys: String, CodingKey { case wait, force, data }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(wait, forKey: .wait)
        try container.encode(force, forKey: .force)
        if !data.values.isEmpty { try container.encode(data, forKey: .data) }
    }
}

/// `PUT /headphones`: `{"mode": "on"|"off"|"toggle"}`.
public struct HeadphonesRequest: Codable, Sendable, Equatable, RequestBody {
    public var mode: HeadphoneModeChange

    public static let shape = "the body must be {\"mode\": \"on\"|\"off\"|\"toggle\"}"

    public init(mode: HeadphoneModeChange) { self.mode = mode }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        guard container.allKeys.count == 1,
            let text = try? container.decode(String.self, forKey: AnyKey(stringValue: "mode")),
            let mode = HeadphoneModeChange(rawValue: text)
        else { throw APIError.badRequest(Self.shape) }
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey { case mode }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode.rawValue, forKey: .mode)
    }
}

/// `POST /say`: `{"text": "…", "output": NAME, "voice": V}` (output and voice optional).
public struct SayRequest: Codable, Sendable, Equatable, RequestBody {
    public var text: String
    public var output: String?
    public var voice: String?

    public static let shape = "the body must be {\"text\": \"…\", \"output\": NAME (optional), \"voice\": V (optional)}"

    public init(text: String, output: String? = nil, voice: String? = nil) {
        self.text = text
        self.output = output
        self.voice = voice
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        guard let text = try? container.decode(String.self, forKey: AnyKey(stringValue: "text")), !text.isEmpty else {
            throw APIError.badRequest(Self.shape)
        }
        let keys = container.allKeys.map(\.stringValue)
        for key in keys.sorted() where !["text", "output", "voice"].contains(key) {
            throw APIError.badRequest("unknown key '\(key)'; allowed: text, output, voice")
        }
        func string(_ name: String) throws -> String? {
            guard keys.contains(name) else { return nil }
            guard let value = try? container.decode(String.self, forKey: AnyKey(stringValue: name)) else {
                throw APIError.badRequest("'\(name)' must be a string")
            }
            return value
        }
        self.text = text
        output = try string("output")
        voice = try string("voice")
    }
}

/// The body of routes that take none: nothing, or `{}`.
struct EmptyBody: Decodable, RequestBody {
    public static let shape = "this route takes no body (or {})"

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        guard container.allKeys.isEmpty else { throw APIError.badRequest(Self.shape) }
    }
}

extension RequestBody {
    /// The body decoded; a body that is not this JSON object is a 400 with the message of the key
    /// at fault, else with `shape`.
    public static func decode(_ bytes: [UInt8]) throws(APIError) -> Self {
        do {
            return try JSONText.decode(Self.self, from: bytes)
        } catch let error as APIError {
            throw error
        } catch {
            throw .badRequest(shape)
        }
    }
}
