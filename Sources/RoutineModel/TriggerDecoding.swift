/// Decodes trigger objects (SPEC §3, Triggers).
enum TriggerDecoding {
    static let kindKeys = ["at", "cron", "every", "sun", "event", "idle", "startup", "mqtt"]
    static let scheduleOptions = ["id", "jitter", "catchUp", "timezone"]

    /// The keys each kind allows besides its kind key.
    static func extraKeys(for kind: String) -> [String] {
        switch kind {
        case "at": return ["days"] + scheduleOptions
        case "cron": return scheduleOptions
        case "every": return ["id", "jitter", "catchUp"]
        case "sun": return ["offset"] + scheduleOptions
        case "event": return ["id", "match"]
        case "idle": return ["id", "for"]
        case "mqtt": return ["id", "payload"]
        default: return ["id"]
        }
    }

    static func decode(_ node: JSONNode, _ path: String, context: DecodingContext, config: Config?) -> Trigger? {
        guard case .object(let members) = node.value else {
            context.error(
                path, "expected a trigger object such as {\"at\": \"07:00\"}, got \(node.value.typeDescription)")
            return nil
        }
        let kinds = members.map(\.key).filter { kindKeys.contains($0) }
        guard kinds.count == 1, let kind = kinds.first else {
            if kinds.isEmpty {
                // Perhaps a typo of a kind key.
                let guess = members.lazy.compactMap { Suggestions.closest(to: $0.key, in: kindKeys) }.first
                let hint = guess.map { "; did you mean '\($0)'?" } ?? ""
                context.error(path, "a trigger needs exactly one of: \(kindKeys.joined(separator: ", "))\(hint)")
            } else {
                context.error(
                    path,
                    "a trigger has exactly one kind; found \(kinds.map { "'\($0)'" }.joined(separator: " and ")) (use two triggers)"
                )
            }
            return nil
        }
        guard let fields = context.object(node, path, allowed: [kind] + extraKeys(for: kind)) else { return nil }
        let errorsBefore = context.diagnostics.count
        var trigger = Trigger(kind: .startup)
        let kindNode = fields[kind]!
        let kindPath = context.join(path, kind)
        switch kind {
        case "at":
            guard let time = context.time(kindNode, kindPath) else { break }
            var days: Set<Weekday>?
            if let node = fields["days"] { days = context.weekdays(node, context.join(path, "days")) }
            trigger.kind = .at(time, days: days)
        case "cron":
            guard let text = context.string(kindNode, kindPath) else { break }
            do {
                let expression = try CronExpression(parsing: text)
                if expression.canFire {
                    trigger.kind = .cron(expression)
                } else {
                    context.error(
                        kindPath,
                        "the cron expression '\(text)' never fires: no allowed month has any of its allowed days (e.g. February has no 30th)"
                    )
                }
            } catch {
                context.error(kindPath, "invalid cron expression '\(text)': \(error.message)")
            }
        case "every":
            guard let interval = context.duration(kindNode, kindPath) else { break }
            if interval < .seconds(1) {
                context.error(kindPath, "must be at least 1s, got \(DurationText.format(interval))")
            }
            trigger.kind = .every(interval)
        case "sun":
            guard let text = context.choice(kindNode, kindPath, SunEvent.allCases.map(\.rawValue), what: "sun event"),
                let event = SunEvent(rawValue: text)
            else { break }
            var offset = Duration.zero
            if let node = fields["offset"],
                let value = context.duration(
                    node, context.join(path, "offset"), allowZero: true, allowNegative: true, max: .seconds(12 * 3600))
            {
                offset = value
            }
            trigger.kind = .sun(event, offset: offset)
        case "event":
            guard let name = context.eventName(kindNode, kindPath) else { break }
            var match: [String: [String]] = [:]
            if let node = fields["match"] {
                let matchPath = context.join(path, "match")
                if case .object(let entries) = node.value {
                    for entry in entries {
                        let entryPath = "\(matchPath).\(entry.key)"
                        if let values = matchValues(entry.value, entryPath, context: context) {
                            match[entry.key] = values
                        }
                    }
                } else {
                    context.error(
                        matchPath,
                        "expected an object of key: value or key: [values], got \(node.value.typeDescription)")
                }
            }
            trigger.kind = .event(name: name, match: match)
        case "idle":
            guard let output = context.string(kindNode, kindPath) else { break }
            checkOutput(output, kindPath, context: context, config: config)
            guard let node = fields["for"] else {
                context.error(path, "an idle trigger needs 'for' (how long the output must be silent, e.g. \"4m\")")
                break
            }
            guard let duration = context.duration(node, context.join(path, "for")) else { break }
            if duration < .seconds(1) {
                context.error(context.join(path, "for"), "must be at least 1s, got \(DurationText.format(duration))")
            }
            trigger.kind = .idle(output: output, for: duration)
        case "mqtt":
            guard let topic = context.string(kindNode, kindPath) else { break }
            if let problem = MQTTTopic.filterProblem(topic) {
                context.error(kindPath, "'\(topic)' is not an MQTT topic filter: \(problem)")
                break
            }
            if let config, config.mqtt == nil {
                context.warning(
                    kindPath, "the config has no \"mqtt\" broker, so this trigger never fires (docs/mqtt.md)")
            }
            trigger.kind = .mqtt(topic: topic, payload: fields["payload"]?.value)
        default:  // startup
            if let value = context.bool(kindNode, kindPath), !value {
                context.error(kindPath, "must be true (remove the trigger to not run at startup)")
            }
            trigger.kind = .startup
        }
        if let node = fields["id"] {
            let idPath = context.join(path, "id")
            if let id = context.string(node, idPath) {
                if RoutineFileName.isValidName(id) {
                    trigger.id = id
                } else {
                    context.error(idPath, "'\(id)' is not a valid id; use lower-case letters, digits, '.', '_' and '-'")
                }
            }
        }
        if let node = fields["jitter"] {
            trigger.jitter = context.duration(
                node, context.join(path, "jitter"), allowZero: true, max: .seconds(86_400))
        }
        if let node = fields["catchUp"] {
            trigger.catchUp = context.duration(
                node, context.join(path, "catchUp"), allowZero: true, max: .seconds(7 * 86_400))
        }
        if let node = fields["timezone"] {
            trigger.timezone = context.timezone(node, context.join(path, "timezone"))
        }
        let failed = context.diagnostics[errorsBefore...].contains { $0.severity == .error }
        return failed ? nil : trigger
    }

    static func matchValues(_ node: JSONNode, _ path: String, context: DecodingContext) -> [String]? {
        switch node.value {
        case .string(let s): return [s]
        case .number(let n): return [format(n)]
        case .bool(let b): return [b ? "true" : "false"]
        case .array(let items):
            guard !items.isEmpty else {
                context.error(path, "must list at least one value")
                return nil
            }
            var values: [String] = []
            for (i, item) in items.enumerated() {
                guard let value = matchValues(item, "\(path)[\(i)]", context: context), value.count == 1 else {
                    if case .array = item.value { context.error("\(path)[\(i)]", "expected a string, got an array") }
                    return nil
                }
                values.append(value[0])
            }
            return values
        default:
            context.error(path, "expected a string or an array of strings, got \(node.value.typeDescription)")
            return nil
        }
    }

    /// Reports an output name that the config does not define.
    static func checkOutput(_ name: String, _ path: String, context: DecodingContext, config: Config?) {
        guard let config else { return }
        if config.outputs[name] == nil {
            let known = config.outputs.keys.sorted()
            context.error(path, "unknown output '\(name)'" + Suggestions.hint(for: name, in: known))
        }
    }
}
