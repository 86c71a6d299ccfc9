/// A JSON value with the source position of where it starts, as read by `JSONParser`.
public struct JSONNode: Sendable, Equatable {
    /// The value.
    public var value: JSONValue
    /// 1-based line of the value's first character.
    public var line: Int
    /// 1-based column (in bytes) of the value's first character.
    public var column: Int

    public init(_ value: JSONValue, line: Int = 0, column: Int = 0) {
        self.value = value
        self.line = line
        self.column = column
    }
}

/// One member of a JSON object, in file order.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONNode
    public init(key: String, value: JSONNode) {
        self.key = key
        self.value = value
    }
}

/// A JSON value; objects keep their members in file order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([JSONMember])

    /// "a string", "a number", … for messages.
    public var typeDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value.value
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number, when this is a number.
    public var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items.map(\.value) }
        return nil
    }
}
