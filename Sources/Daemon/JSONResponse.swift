import RoutineModel

/// Writes the control API's JSON bodies from the dictionaries and arrays the routes build, with keys
/// sorted by code point (Foundation's JSONSerialization sorts with a locale, which starts ICU and
/// keeps about 4 MB of it resident in a daemon that otherwise never needs it).
enum JSONResponse {
    static func encode(_ value: Any?) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    /// Integers without a fraction, others in Swift's shortest round-trip form.
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return value.isFinite ? "\(value)" : "null"
    }

    private static func write(_ value: Any?, into out: inout String) {
        guard let value = unwrap(value) else {
            out += "null"
            return
        }
        switch value {
        case let text as String: out += JSONText.string(text)
        case let flag as Bool: out += flag ? "true" : "false"
        case let integer as Int: out += String(integer)
        case let integer as Int64: out += String(integer)
        case let integer as Int32: out += String(integer)
        case let integer as UInt64: out += String(integer)
        case let double as Double: out += number(double)
        // (Any dictionary with String keys, [String: String] included, casts to [String: Any?].)
        case let dictionary as [String: Any?]: writeObject(dictionary.map { ($0.key, $0.value) }, into: &out)
        case let array as [Any?]:
            out += "["
            for (index, element) in array.enumerated() {
                if index > 0 { out += "," }
                write(element, into: &out)
            }
            out += "]"
        default: out += JSONText.string("\(value)")
        }
    }

    private static func writeObject(_ members: [(String, Any?)], into out: inout String) {
        out += "{"
        for (index, member) in members.sorted(by: { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) }
        )
        .enumerated() {
            if index > 0 { out += "," }
            out += JSONText.string(member.0) + ":"
            write(member.1, into: &out)
        }
        out += "}"
    }

    /// An `Any` that holds an Optional (from `[String: Any?]` rows) unwrapped; nil for none.
    private static func unwrap(_ value: Any?) -> Any? {
        guard let value else { return nil }
        if let optional = value as? OptionalProtocol { return optional.unwrapped.flatMap(unwrap) }
        return value
    }
}

/// Lets the writer see through `Any` that holds an Optional.
protocol OptionalProtocol {
    var unwrapped: Any? { get }
}

extension Optional: OptionalProtocol {
    var unwrapped: Any? {
        switch self {
        case .some(let value): return value
        case .none: return nil
        }
    }
}
