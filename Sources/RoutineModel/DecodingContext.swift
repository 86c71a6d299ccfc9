/// Collects diagnostics while walking a JSON document, and reads typed values at JSON paths.
final class DecodingContext {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Parses `bytes` and decodes the document with `body`; a syntax error ends it with a
    /// `FILE:LINE:COL` diagnostic. The value is kept only when no error was reported.
    func decodeDocument<Value: Sendable>(_ bytes: [UInt8], _ body: (JSONNode) -> Value?) -> DecodeResult<Value> {
        guard bytes.count <= InputLimits.maxFileBytes else {
            error("", InputLimits.sizeMessage(bytes.count))
            return DecodeResult(value: nil, diagnostics: diagnostics)
        }
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            let syntax = Diagnostic(file: file, line: error.line, column: error.column, message: error.message)
            return DecodeResult(value: nil, diagnostics: diagnostics + [syntax])
        }
        // A NUL would be cut by C APIs (a play path "chime.wav\u0000x" plays chime.wav) and hides in
        // messages: no string of any kind may hold one, and nothing else is checked until it is gone.
        reportNUL(root, "")
        if hasErrors { return DecodeResult(value: nil, diagnostics: diagnostics) }
        let value = body(root)
        return DecodeResult(value: hasErrors ? nil : value, diagnostics: diagnostics)
    }

    /// Reports every key and string value that contains a NUL character, by its JSON path.
    private func reportNUL(_ node: JSONNode, _ path: String) {
        switch node.value {
        case .string(let text) where text.utf8.contains(0):
            error(path, "contains a NUL character (\\u0000); remove it")
        case .array(let items):
            for (i, item) in items.enumerated() { reportNUL(item, "\(path)[\(i)]") }
        case .object(let members):
            for member in members {
                let memberPath = join(path, member.key)
                if member.key.utf8.contains(0) {
                    error(memberPath, "the key contains a NUL character (\\u0000); remove it")
                }
                reportNUL(member.value, memberPath)
            }
        default:
            break
        }
    }

    func error(_ path: String, _ message: String) {
        diagnostics.append(Diagnostic(file: file, path: path, message: message))
    }

    func warning(_ path: String, _ message: String) {
        diagnostics.append(Diagnostic(severity: .warning, file: file, path: path, message: message))
    }

    /// Reads an object's members, reporting a wrong type and every key not in `allowed`.
    func object(_ node: JSONNode, _ path: String, allowed: [String], what: String = "an object") -> [String: JSONNode]?
    {
        guard case .object(let members) = node.value else {
            error(path, "expected \(what), got \(node.value.typeDescription)")
            return nil
        }
        var result: [String: JSONNode] = [:]
        for member in members {
            if allowed.contains(member.key) {
                result[member.key] = member.value
            } else {
                error(
                    join(path, member.key),
                    "unknown key '\(member.key)'" + Suggestions.hint(for: member.key, in: allowed))
            }
        }
        return result
    }

    func string(_ node: JSONNode, _ path: String, nonEmpty: Bool = true) -> String? {
        guard case .string(let text) = node.value else {
            error(path, "expected a string, got \(node.value.typeDescription)")
            return nil
        }
        if nonEmpty && text.isEmpty {
            error(path, "must not be empty")
            return nil
        }
        return text
    }

    func bool(_ node: JSONNode, _ path: String) -> Bool? {
        guard case .bool(let value) = node.value else {
            error(path, "expected true or false, got \(node.value.typeDescription)")
            return nil
        }
        return value
    }

    func number(_ node: JSONNode, _ path: String, range: ClosedRange<Double>, unit: String = "") -> Double? {
        guard case .number(let value) = node.value else {
            error(path, "expected a number, got \(node.value.typeDescription)")
            return nil
        }
        guard range.contains(value) else {
            error(
                path,
                "must be between \(format(range.lowerBound)) and \(format(range.upperBound))\(unit), got \(format(value))"
            )
            return nil
        }
        return value
    }

    func integer(_ node: JSONNode, _ path: String, range: ClosedRange<Int>, unit: String = "") -> Int? {
        guard case .number(let value) = node.value else {
            error(path, "expected a whole number, got \(node.value.typeDescription)")
            return nil
        }
        guard value.rounded() == value, abs(value) < 1e15 else {
            error(path, "expected a whole number, got \(format(value))")
            return nil
        }
        let int = Int(value)
        guard range.contains(int) else {
            error(path, "must be between \(range.lowerBound) and \(range.upperBound)\(unit), got \(int)")
            return nil
        }
        return int
    }

    /// One of a fixed set of strings, with a did-you-mean hint.
    func choice(_ node: JSONNode, _ path: String, _ options: [String], what: String) -> String? {
        guard let text = string(node, path, nonEmpty: false) else { return nil }
        guard options.contains(text) else {
            error(path, "unknown \(what) '\(text)'" + Suggestions.hint(for: text, in: options))
            return nil
        }
        return text
    }

    func array(_ node: JSONNode, _ path: String, nonEmpty: Bool = false, what: String = "an array") -> [JSONNode]? {
        guard case .array(let items) = node.value else {
            error(path, "expected \(what), got \(node.value.typeDescription)")
            return nil
        }
        if nonEmpty && items.isEmpty {
            error(path, "must not be empty")
            return nil
        }
        return items
    }

    /// Reports an array longer than `limit` (its items are then not decoded at all).
    func atMost(_ limit: Int, _ items: [JSONNode], _ path: String, what: String) -> Bool {
        guard items.count > limit else { return true }
        error(path, "has \(items.count) \(what); a routine may have at most \(limit) (split it into several routines)")
        return false
    }

    /// A duration string or number of seconds; positive unless `allowZero`/`allowNegative`.
    func duration(
        _ node: JSONNode, _ path: String, allowZero: Bool = false, allowNegative: Bool = false,
        max: Duration = .seconds(366 * 86_400)
    ) -> Duration? {
        let parsed: Duration?
        switch node.value {
        case .string(let text):
            parsed = DurationText.parse(text, allowNegative: allowNegative)
            if parsed == nil {
                if !allowNegative && text.hasPrefix("-") {
                    error(path, "'\(text)' must not be negative")
                } else {
                    error(
                        path,
                        "'\(text)' is not a duration; write e.g. \"250ms\", \"2s\", \"4m\", \"1h30m\" or a number of seconds"
                    )
                }
                return nil
            }
        case .number(let seconds):
            if seconds < 0 && !allowNegative {
                error(path, "must not be negative, got \(format(seconds))")
                return nil
            }
            parsed = DurationText.fromSeconds(seconds)
        default:
            error(path, "expected a duration such as \"2s\" or a number of seconds, got \(node.value.typeDescription)")
            return nil
        }
        guard let value = parsed else {
            error(path, "duration out of range")
            return nil
        }
        if !allowZero && !allowNegative && value <= .zero {
            error(path, "must be longer than zero")
            return nil
        }
        if value > max || value < .zero - max {
            error(path, "must be at most \(DurationText.format(max)), got \(DurationText.format(value))")
            return nil
        }
        return value
    }

    func time(_ node: JSONNode, _ path: String) -> TimeOfDay? {
        guard let text = string(node, path) else { return nil }
        guard let time = TimeOfDay(parsing: text) else {
            error(path, "'\(text)' is not a time; write HH:MM or HH:MM:SS (24-hour, 00:00 to 23:59:59)")
            return nil
        }
        return time
    }

    func weekdays(_ node: JSONNode, _ path: String) -> Set<Weekday>? {
        guard let items = array(node, path, nonEmpty: true, what: "an array of weekdays such as [\"mon\", \"tue\"]")
        else {
            return nil
        }
        var days: Set<Weekday> = []
        var ok = true
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i)]"
            guard let text = string(item, itemPath) else {
                ok = false
                continue
            }
            guard let day = Weekday(name: text) else {
                error(
                    itemPath,
                    "unknown weekday '\(text)'"
                        + Suggestions.hint(for: text.lowercased(), in: Weekday.allCases.map(\.name)))
                ok = false
                continue
            }
            days.insert(day)
        }
        return ok ? days : nil
    }

    func bluetoothAddress(_ node: JSONNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        let upper = text.uppercased()
        let parts = upper.split(separator: ":", omittingEmptySubsequences: false)
        let valid = parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
        guard valid else {
            error(path, "'\(text)' is not a Bluetooth address; write six hex pairs such as AA:BB:CC:DD:EE:FF")
            return nil
        }
        return upper
    }

    /// An event name `[a-z0-9][a-z0-9._-]*`.
    func eventName(_ node: JSONNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        guard RoutineFileName.isValidName(text) else {
            error(
                path,
                "'\(text)' is not a valid event name; use lower-case letters, digits, '.', '_' and '-' (e.g. device.connected)"
            )
            return nil
        }
        return text
    }

    func timezone(_ node: JSONNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        guard TimeZoneNames.exists(text) else {
            error(path, "unknown time zone '\(text)'; use an IANA name such as Europe/Berlin or America/New_York")
            return nil
        }
        return text
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}

/// A number as written by a person: `440`, `-6.5`.
func format(_ value: Double) -> String {
    if value.rounded() == value && abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
