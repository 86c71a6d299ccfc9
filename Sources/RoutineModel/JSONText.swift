/// Writes JSON text for hand-built output (the CLI's `--json`, the control API's bodies).
public enum JSONText {
    /// A JSON string literal with the required escapes.
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension JSONText {
    /// A JSON value as compact text, object members in their order; integers without a fraction.
    public static func value(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            if number.isFinite, number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
                return String(Int64(number))
            }
            return number.isFinite ? "\(number)" : "null"
        case .string(let text): return string(text)
        case .array(let items): return "[" + items.map { self.value($0.value) }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { string($0.key) + ":" + self.value($0.value.value) }.joined(separator: ",") + "}"
        }
    }
}
