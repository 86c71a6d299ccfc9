/// The outcome of decoding one file: the value when there are no errors, and every diagnostic found.
public struct DecodeResult<Value: Sendable>: Sendable {
    /// Present when the file had no errors (warnings allowed).
    public var value: Value?
    /// Errors and warnings, in file order.
    public var diagnostics: [Diagnostic]
    public init(value: Value?, diagnostics: [Diagnostic]) {
        self.value = value
        self.diagnostics = diagnostics
    }
    /// The errors only.
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
}

/// Decodes and validates routine files (SPEC §3).
public enum RoutineDecoder {
    static let routineKeys = ["$schema", "description", "enabled", "mode", "max", "triggers", "conditions", "actions"]

    /// Decodes one routine file. `file` is the path as the user named it; the routine's name is its
    /// base name without `.json`. With a `config`, output names are checked against its outputs.
    public static func decode(_ bytes: [UInt8], file: String, config: Config? = nil) -> DecodeResult<Routine> {
        let context = DecodingContext(file: file)
        let baseName = RoutineFileName.baseName(file)
        var name = baseName.hasSuffix(".json") ? String(baseName.dropLast(5)) : baseName
        if !RoutineFileName.isValidName(name) {
            context.error(
                "",
                "the file name '\(baseName)' does not make a routine name; names use lower-case letters, digits, '.', '_' and '-' and start with a letter or digit (e.g. good-morning.json)"
            )
            name = ""
        }
        return context.decodeDocument(bytes) { decodeRoutine($0, name: name, context: context, config: config) }
    }

    /// Decodes a single trigger object (for `routines next --trigger JSON`); `file` names the source
    /// in messages (e.g. `--trigger`).
    public static func decodeTrigger(_ bytes: [UInt8], file: String) -> DecodeResult<Trigger> {
        let context = DecodingContext(file: file)
        return context.decodeDocument(bytes) { TriggerDecoding.decode($0, "", context: context, config: nil) }
    }

    static func decodeRoutine(_ root: JSONNode, name: String, context: DecodingContext, config: Config?) -> Routine? {
        guard let members = context.object(root, "", allowed: routineKeys, what: "a JSON object (a routine)") else {
            return nil
        }
        var routine = Routine(name: name, triggers: [], actions: [])
        if let node = members["$schema"] { _ = context.string(node, "$schema") }
        if let node = members["description"] {
            routine.description = context.string(node, "description", nonEmpty: false)
        }
        if let node = members["enabled"], let value = context.bool(node, "enabled") { routine.enabled = value }
        if let node = members["mode"],
            let value = context.choice(node, "mode", RunMode.allCases.map(\.rawValue), what: "mode"),
            let mode = RunMode(rawValue: value)
        {
            routine.mode = mode
        }
        if let node = members["max"], let value = context.integer(node, "max", range: 1...1000) {
            routine.max = value
            if routine.mode == .single || routine.mode == .restart {
                context.warning("max", "'max' only matters in queued and parallel mode")
            }
        }
        if let node = members["triggers"] {
            if let items = context.array(node, "triggers", nonEmpty: true, what: "an array of triggers"),
                context.atMost(InputLimits.maxTriggers, items, "triggers", what: "triggers")
            {
                var ids: Set<String> = []
                for (i, item) in items.enumerated() {
                    let path = "triggers[\(i)]"
                    if let trigger = TriggerDecoding.decode(item, path, context: context, config: config) {
                        if let id = trigger.id, !ids.insert(id).inserted {
                            context.error("\(path).id", "duplicate trigger id '\(id)'")
                        }
                        routine.triggers.append(trigger)
                    }
                }
            }
        } else {
            context.error("", "missing key 'triggers' (an array of at least one trigger, e.g. [{\"at\": \"07:00\"}])")
        }
        if let node = members["conditions"], let items = context.array(node, "conditions") {
            for (i, item) in items.enumerated() {
                if let condition = ConditionDecoding.decode(item, "conditions[\(i)]", context: context) {
                    routine.conditions.append(condition)
                }
            }
        }
        if let node = members["actions"] {
            if let items = context.array(node, "actions", nonEmpty: true, what: "an array of actions"),
                context.atMost(InputLimits.maxActions, items, "actions", what: "actions")
            {
                for (i, item) in items.enumerated() {
                    if let action = ActionDecoding.decode(
                        item, "actions[\(i)]", context: context, config: config, routineName: name)
                    {
                        routine.actions.append(action)
                    }
                }
            }
        } else {
            context.error(
                "", "missing key 'actions' (an array of at least one action, e.g. [{\"play\": \"chime.wav\"}])")
        }
        return routine
    }
}
