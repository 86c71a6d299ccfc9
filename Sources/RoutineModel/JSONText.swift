import FoundationEssentials

/// The one JSON writer: FoundationEssentials' `JSONEncoder`, keys sorted by code point (without ICU,
/// unlike `JSONSerialization`'s locale-aware sort, which would keep about 4 MB of it resident), slashes
/// as they are. The control API's replies, the MQTT state and discovery messages, the CLI's requests
/// and every string literal the project writes go through it; and the reader of typed request bodies.
public enum JSONText {
    /// `value` as compact JSON. Encoding the project's types cannot fail (they hold no non-finite
    /// numbers); if it ever did, the text is `null`.
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return Array("null".utf8) }
        return Array(data)
    }

    /// A JSON string literal with the required escapes.
    public static func string(_ text: String) -> String {
        String(decoding: encode(text), as: UTF8.self)
    }

    /// A typed value from JSON that `JSONParser` accepts (so a duplicate key or a syntax error is
    /// refused as everywhere else in the project); the error of the decoder or the type otherwise.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        _ = try JSONParser.parse(bytes)
        return try JSONDecoder().decode(type, from: Data(bytes))
    }
}

extension JSONText {
    /// A JSON value as compact text, object members in their order (a user's payload stays as they
    /// wrote it); strings and numbers written by `encode`.
    public static func value(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            // Integers without a fraction, others in Swift's shortest round-trip form.
            if number.isFinite, number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
                return String(Int64(number))
            }
            return number.isFinite ? String(decoding: encode(number), as: UTF8.self) : "null"
        case .string(let text): return string(text)
        case .array(let items): return "[" + items.map { self.value($0.value) }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { string($0.key) + ":" + self.value($0.value.value) }.joined(separator: ",") + "}"
        }
    }
}
