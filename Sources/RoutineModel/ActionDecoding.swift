/// Decodes action objects (SPEC §3, Actions).
enum ActionDecoding {
    static let kinds = [
        "play", "tone", "keepAlive", "silence", "announce", "headphoneMode", "volume", "wait", "emit", "run",
        "publish",
    ]
    static let placeholders = ["time", "date", "weekday", "routine", "headphoneMode"]

    /// Keys allowed next to each kind key (besides `continueOnError`).
    static func extraKeys(for kind: String) -> [String] {
        switch kind {
        case "play": return ["gain", "output"]
        case "silence": return ["output"]
        case "announce": return ["voice", "rate", "chime", "output"]
        case "emit": return ["data"]
        default: return []
        }
    }

    static func decode(
        _ node: JSONNode, _ path: String, context: DecodingContext, config: Config?, routineName: String
    ) -> Action? {
        guard case .object(let members) = node.value else {
            context.error(
                path, "expected an action object such as {\"play\": \"chime.wav\"}, got \(node.value.typeDescription)")
            return nil
        }
        let found = members.map(\.key).filter { kinds.contains($0) }
        guard found.count == 1, let kind = found.first else {
            if found.isEmpty {
                let guess = members.lazy.compactMap { Suggestions.closest(to: $0.key, in: kinds) }.first
                let hint = guess.map { "; did you mean '\($0)'?" } ?? ""
                context.error(path, "an action needs exactly one of: \(kinds.joined(separator: ", "))\(hint)")
            } else {
                context.error(
                    path,
                    "an action does exactly one thing; found \(found.map { "'\($0)'" }.joined(separator: " and ")) (use two actions)"
                )
            }
            return nil
        }
        guard let fields = context.object(node, path, allowed: [kind, "continueOnError"] + extraKeys(for: kind)) else {
            return nil
        }
        let before = context.diagnostics.count
        var continueOnError = false
        if let node = fields["continueOnError"], let value = context.bool(node, context.join(path, "continueOnError")) {
            continueOnError = value
        }
        let value = fields[kind]!
        let valuePath = context.join(path, kind)
        func output(_ node: JSONNode?, _ outputPath: String) -> String? {
            guard let node, let name = context.string(node, outputPath) else { return nil }
            TriggerDecoding.checkOutput(name, outputPath, context: context, config: config)
            return name
        }
        var result: ActionKind?
        switch kind {
        case "play":
            guard let file = audioPath(value, valuePath, context: context) else { break }
            var spec = PlaySpec(file: file)
            if let node = fields["gain"],
                let gain = context.number(node, context.join(path, "gain"), range: -60...12, unit: " dB")
            {
                spec.gain = gain
            }
            spec.output = output(fields["output"], context.join(path, "output"))
            result = .play(spec)
        case "tone":
            result = decodeTone(value, valuePath, context: context, output: output).map(ActionKind.tone)
        case "keepAlive":
            result = decodeKeepAlive(value, valuePath, context: context, output: output).map(ActionKind.keepAlive)
        case "silence":
            guard let duration = context.duration(value, valuePath, max: .seconds(3600)) else { break }
            result = .silence(duration, output: output(fields["output"], context.join(path, "output")))
        case "announce":
            guard let text = context.string(value, valuePath) else { break }
            checkPlaceholders(text, valuePath, context: context)
            var spec = AnnounceSpec(text: text)
            if let node = fields["voice"], let voice = context.string(node, context.join(path, "voice")) {
                spec.voice = voice
                if let config { checkVoiceEngine(voice, context.join(path, "voice"), context: context, config: config) }
            }
            if let node = fields["rate"],
                let rate = context.integer(node, context.join(path, "rate"), range: 80...450, unit: " words per minute")
            {
                spec.rate = rate
            }
            if let node = fields["chime"] {
                let chimePath = context.join(path, "chime")
                if case .bool(let flag) = node.value {
                    if flag {
                        context.error(chimePath, "expected a sound file name or false, got true")
                    } else {
                        spec.chime = Chime.none
                    }
                } else if let file = audioPath(node, chimePath, context: context) {
                    spec.chime = .file(file)
                }
            }
            spec.output = output(fields["output"], context.join(path, "output"))
            result = .announce(spec)
        case "headphoneMode":
            guard
                let text = context.choice(
                    value, valuePath, HeadphoneModeChange.allCases.map(\.rawValue), what: "headphone mode change"),
                let change = HeadphoneModeChange(rawValue: text)
            else { break }
            result = .headphoneMode(change)
        case "volume":
            guard let volume = context.object(value, valuePath, allowed: ["output", "level"]) else { break }
            guard let levelNode = volume["level"] else {
                context.error(valuePath, "needs 'level' (0 to 100)")
                break
            }
            guard let level = context.integer(levelNode, context.join(valuePath, "level"), range: 0...100) else {
                break
            }
            result = .volume(output: output(volume["output"], context.join(valuePath, "output")), level: level)
        case "wait":
            guard let duration = context.duration(value, valuePath, allowZero: true, max: .seconds(86_400)) else {
                break
            }
            result = .wait(duration)
        case "emit":
            guard let name = context.eventName(value, valuePath) else { break }
            var data: [String: String] = [:]
            if let node = fields["data"] {
                let dataPath = context.join(path, "data")
                if case .object(let entries) = node.value {
                    for entry in entries {
                        switch entry.value.value {
                        case .string(let s): data[entry.key] = s
                        case .number(let n): data[entry.key] = format(n)
                        case .bool(let b): data[entry.key] = b ? "true" : "false"
                        default:
                            context.error(
                                "\(dataPath).\(entry.key)",
                                "expected a string, number or boolean, got \(entry.value.value.typeDescription)")
                        }
                    }
                } else {
                    context.error(dataPath, "expected an object of key: value, got \(node.value.typeDescription)")
                }
            }
            result = .emit(name: name, data: data)
        case "publish":
            result = decodePublish(value, valuePath, context: context).map(ActionKind.publish)
            if let config, config.mqtt == nil {
                context.warning(valuePath, "the config has no \"mqtt\" broker, so this action fails (docs/mqtt.md)")
            }
        default:  // run
            guard let target = context.string(value, valuePath) else { break }
            let name = target.hasSuffix(".json") ? String(target.dropLast(5)) : target
            guard RoutineFileName.isValidName(name) else {
                context.error(
                    valuePath, "'\(target)' is not a routine name (lower-case letters, digits, '.', '_', '-')")
                break
            }
            if name == routineName {
                context.error(valuePath, "a routine cannot run itself")
                break
            }
            result = .run(name)
        }
        let failed = context.diagnostics[before...].contains { $0.severity == .error }
        guard !failed, let result else { return nil }
        return Action(result, continueOnError: continueOnError)
    }

    /// `{"topic": T, "payload": any JSON, "qos": 0|1, "retain": bool}`.
    static func decodePublish(_ node: JSONNode, _ path: String, context: DecodingContext) -> PublishSpec? {
        guard let fields = context.object(node, path, allowed: ["topic", "payload", "qos", "retain"]) else {
            return nil
        }
        guard let topicNode = fields["topic"] else {
            context.error(path, "needs 'topic' (the MQTT topic to publish to, e.g. \"home/office/light/set\")")
            return nil
        }
        let topicPath = context.join(path, "topic")
        guard let topic = context.string(topicNode, topicPath) else { return nil }
        if let problem = MQTTTopic.nameProblem(topic) {
            context.error(topicPath, "'\(topic)' is not an MQTT topic to publish to: \(problem)")
            return nil
        }
        checkPlaceholders(topic, topicPath, context: context)
        var spec = PublishSpec(topic: topic, payload: fields["payload"]?.value)
        if let payload = fields["payload"] {
            checkPayloadPlaceholders(payload, context.join(path, "payload"), context: context)
        }
        if let n = fields["qos"], let qos = context.integer(n, context.join(path, "qos"), range: 0...1) {
            spec.qos = qos
        }
        if let n = fields["retain"], let retain = context.bool(n, context.join(path, "retain")) { spec.retain = retain }
        return spec
    }

    /// Checks the placeholders of every string inside a `publish` payload.
    static func checkPayloadPlaceholders(_ node: JSONNode, _ path: String, context: DecodingContext) {
        switch node.value {
        case .string(let text): checkPlaceholders(text, path, context: context)
        case .array(let items):
            for (index, item) in items.enumerated() {
                checkPayloadPlaceholders(item, "\(path)[\(index)]", context: context)
            }
        case .object(let members):
            for member in members { checkPayloadPlaceholders(member.value, "\(path).\(member.key)", context: context) }
        default: break
        }
    }

    /// A relative path inside the audio folders.
    static func audioPath(_ node: JSONNode, _ path: String, context: DecodingContext) -> String? {
        guard let file = context.string(node, path) else { return nil }
        if file.hasPrefix("/") || file.hasPrefix("~") {
            context.error(path, "'\(file)' must be relative to the audio folders, not an absolute path")
            return nil
        }
        if file.split(separator: "/").contains("..") {
            context.error(path, "'\(file)' may not leave the audio folders ('..' is not allowed)")
            return nil
        }
        if file.hasSuffix("/") {
            context.error(path, "'\(file)' names a folder; name a sound file")
            return nil
        }
        return file
    }

    static func decodeTone(
        _ node: JSONNode, _ path: String, context: DecodingContext, output: (JSONNode?, String) -> String?
    ) -> ToneSpec? {
        guard
            let fields = context.object(
                node, path, allowed: ["frequency", "duration", "level", "fade", "waveform", "output"],
                what: "an object such as {\"frequency\": 440, \"duration\": \"1s\"}")
        else { return nil }
        var spec = ToneSpec()
        if let n = fields["frequency"],
            let v = context.number(n, context.join(path, "frequency"), range: 1...20_000, unit: " Hz")
        {
            spec.frequency = v
        }
        if let n = fields["duration"], let v = context.duration(n, context.join(path, "duration"), max: .seconds(3600))
        {
            spec.duration = v
        }
        if let n = fields["level"],
            let v = context.number(n, context.join(path, "level"), range: -120...0, unit: " dBFS")
        {
            spec.level = v
        }
        if let n = fields["fade"],
            let v = context.duration(n, context.join(path, "fade"), allowZero: true, max: .seconds(60))
        {
            spec.fade = v
        }
        if let n = fields["waveform"],
            let text = context.choice(
                n, context.join(path, "waveform"), Waveform.allCases.map(\.rawValue), what: "waveform"),
            let waveform = Waveform(rawValue: text)
        {
            spec.waveform = waveform
        }
        spec.output = output(fields["output"], context.join(path, "output"))
        if spec.fade * 2 > spec.duration {
            context.error(
                context.join(path, "fade"),
                "fades in and out (\(DurationText.format(spec.fade)) each) are longer than the tone (\(DurationText.format(spec.duration)))"
            )
        }
        return spec
    }

    static func decodeKeepAlive(
        _ node: JSONNode, _ path: String, context: DecodingContext, output: (JSONNode?, String) -> String?
    ) -> KeepAliveSpec? {
        guard
            let fields = context.object(
                node, path, allowed: ["signal", "frequency", "level", "duration", "fade", "audible", "output"],
                what: "an object such as {} or {\"signal\": \"sine\", \"level\": -42}")
        else { return nil }
        var spec = KeepAliveSpec()
        if let n = fields["signal"],
            let text = context.choice(
                n, context.join(path, "signal"), KeepAliveSignal.allCases.map(\.rawValue), what: "keep-alive signal"),
            let signal = KeepAliveSignal(rawValue: text)
        {
            spec.signal = signal
        }
        if let n = fields["audible"], let v = context.bool(n, context.join(path, "audible")) { spec.audible = v }
        var frequencyOK = true
        var levelOK = true
        if let n = fields["frequency"] {
            if let v = context.number(n, context.join(path, "frequency"), range: 1...20_000, unit: " Hz") {
                spec.frequency = v
            } else {
                frequencyOK = false
            }
        }
        if let n = fields["level"] {
            if let v = context.number(n, context.join(path, "level"), range: -120...0, unit: " dBFS") {
                spec.level = v
            } else {
                levelOK = false
            }
        }
        if let n = fields["duration"], let v = context.duration(n, context.join(path, "duration"), max: .seconds(60)) {
            spec.duration = v
        }
        if let n = fields["fade"],
            let v = context.duration(n, context.join(path, "fade"), allowZero: true, max: .seconds(10))
        {
            spec.fade = v
        }
        spec.output = output(fields["output"], context.join(path, "output"))
        if !spec.audible {
            if levelOK && spec.level >= -30 {
                context.error(
                    context.join(path, "level"),
                    "a keep-alive burst must stay below -30 dBFS to be inaudible, got \(format(spec.level)); set \"audible\": true if you want to hear it"
                )
            }
            if frequencyOK && spec.signal == .sine && spec.frequency >= 200 {
                context.error(
                    context.join(path, "frequency"),
                    "a sine keep-alive must stay below 200 Hz to be inaudible, got \(format(spec.frequency)) Hz; set \"audible\": true if you want to hear it"
                )
            }
        }
        if spec.signal == .zero {
            context.warning(
                context.join(path, "signal"),
                "'zero' is digital silence: many devices and the SBC codec treat it as no audio, so it may not keep the device awake; prefer 'sine' (20 Hz, -42 dBFS)"
            )
        }
        if spec.fade * 2 > spec.duration {
            context.error(
                context.join(path, "fade"),
                "fades in and out (\(DurationText.format(spec.fade)) each) are longer than the burst (\(DurationText.format(spec.duration)))"
            )
        }
        return spec
    }

    /// Reports unknown `{placeholders}` and unbalanced braces in announcement text.
    static func checkPlaceholders(_ text: String, _ path: String, context: DecodingContext) {
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                context.error(path, "unclosed '{' in text; placeholders look like {time}")
                return
            }
            let name = String(rest[rest.index(after: open)..<close])
            if !(placeholders.contains(name) || (name.hasPrefix("event.") && name.count > 6)) {
                let hint =
                    Suggestions.closest(to: name, in: placeholders).map { "; did you mean '{\($0)}'?" }
                    ?? "; allowed: {time} {date} {weekday} {routine} {headphoneMode} {event.KEY}"
                context.error(path, "unknown placeholder '{\(name)}'\(hint)")
            }
            rest = rest[rest.index(after: close)...]
        }
    }
}
