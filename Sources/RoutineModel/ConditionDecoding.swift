/// Decodes condition objects (SPEC §3, Conditions).
enum ConditionDecoding {
    static let kinds = ["headphoneMode", "time", "days", "connected", "not", "any", "all"]

    static func decode(_ node: JSONNode, _ path: String, context: DecodingContext, depth: Int = 0) -> Condition? {
        guard case .object(let members) = node.value else {
            context.error(
                path, "expected a condition object such as {\"headphoneMode\": true}, got \(node.value.typeDescription)"
            )
            return nil
        }
        guard members.count == 1, let member = members.first else {
            if members.isEmpty {
                context.error(path, "empty condition; use one of: \(kinds.joined(separator: ", "))")
            } else {
                context.error(
                    path,
                    "a condition has exactly one key; found \(members.map { "'\($0.key)'" }.joined(separator: ", ")) (use \"all\" to combine)"
                )
            }
            return nil
        }
        let key = member.key
        let valuePath = context.join(path, key)
        guard kinds.contains(key) else {
            context.error(valuePath, "unknown condition '\(key)'" + Suggestions.hint(for: key, in: kinds))
            return nil
        }
        guard depth < 16 else {
            context.error(path, "conditions are nested too deeply")
            return nil
        }
        let value = member.value
        switch key {
        case "headphoneMode":
            return context.bool(value, valuePath).map(Condition.headphoneMode)
        case "time":
            guard let fields = context.object(value, valuePath, allowed: ["after", "before"]) else { return nil }
            let after = fields["after"].flatMap { context.time($0, context.join(valuePath, "after")) }
            let before = fields["before"].flatMap { context.time($0, context.join(valuePath, "before")) }
            if fields["after"] == nil && fields["before"] == nil {
                context.error(
                    valuePath, "needs 'after', 'before' or both (e.g. {\"after\": \"22:00\", \"before\": \"06:30\"})")
                return nil
            }
            if (fields["after"] != nil && after == nil) || (fields["before"] != nil && before == nil) { return nil }
            if let after, let before, after == before {
                context.error(valuePath, "'after' and 'before' are equal; the window would be empty")
                return nil
            }
            return .time(after: after, before: before)
        case "days":
            return context.weekdays(value, valuePath).map(Condition.days)
        case "connected":
            return context.bluetoothAddress(value, valuePath).map(Condition.connected)
        case "not":
            return decode(value, valuePath, context: context, depth: depth + 1).map(Condition.not)
        default:  // any, all
            guard let items = context.array(value, valuePath, nonEmpty: true, what: "an array of conditions") else {
                return nil
            }
            var conditions: [Condition] = []
            var ok = true
            for (i, item) in items.enumerated() {
                if let condition = decode(item, "\(valuePath)[\(i)]", context: context, depth: depth + 1) {
                    conditions.append(condition)
                } else {
                    ok = false
                }
            }
            guard ok else { return nil }
            return key == "any" ? .any(conditions) : .all(conditions)
        }
    }
}
