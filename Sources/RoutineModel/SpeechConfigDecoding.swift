extension ConfigDecoder {
    /// `"speech": {"engines": {"NAME": {"wyoming": "tcp://HOST:PORT", ...}}, "default": "NAME"}`.
    static func decodeSpeech(_ node: JSONNode, context: DecodingContext) -> SpeechConfig? {
        guard let fields = context.object(node, "speech", allowed: ["engines", "default"]) else { return nil }
        var speech = SpeechConfig()
        if let node = fields["engines"], case .object(let members) = node.value {
            for member in members {
                let path = "speech.engines.\(member.key)"
                guard RoutineFileName.isValidName(member.key), member.key != SpeechConfig.builtIn else {
                    context.error(
                        path,
                        member.key == SpeechConfig.builtIn
                            ? "'espeak-ng' is built in; name the Wyoming engine otherwise, e.g. \"piper\""
                            : "'\(member.key)' is not a valid engine name (lower-case letters, digits, '.', '_', '-')")
                    continue
                }
                if let engine = decodeEngine(member.value, path, context: context) {
                    speech.engines[member.key] = engine
                }
            }
        } else if let node = fields["engines"] {
            context.error(
                "speech.engines",
                "expected an object of engine name: {\"wyoming\": \"tcp://HOST:PORT\"}, got \(node.value.typeDescription)"
            )
        }
        if let node = fields["default"], let name = context.string(node, "speech.default") {
            if name != SpeechConfig.builtIn && speech.engines[name] == nil {
                context.error(
                    "speech.default",
                    "names the engine '\(name)', which 'speech.engines' does not define"
                        + Suggestions.hint(for: name, in: speech.engines.keys.sorted() + [SpeechConfig.builtIn]))
            }
            speech.defaultEngine = name
        }
        return speech
    }

    static func decodeEngine(_ node: JSONNode, _ path: String, context: DecodingContext) -> SpeechEngineConfig? {
        guard
            let fields = context.object(
                node, path, allowed: ["wyoming", "voice", "connectTimeout", "timeout"])
        else { return nil }
        guard let uriNode = fields["wyoming"] else {
            context.error(path, "needs 'wyoming': the server's address, e.g. \"tcp://127.0.0.1:10200\"")
            return nil
        }
        let uriPath = context.join(path, "wyoming")
        guard let uri = context.string(uriNode, uriPath) else { return nil }
        guard let (host, port) = parseTCPURI(uri) else {
            context.error(
                uriPath, "'\(uri)' is not tcp://HOST:PORT (e.g. tcp://127.0.0.1:10200, wyoming-piper's --uri)")
            return nil
        }
        var engine = SpeechEngineConfig(host: host, port: port)
        if let n = fields["voice"] { engine.voice = context.string(n, context.join(path, "voice")) }
        if let n = fields["connectTimeout"],
            let value = context.duration(n, context.join(path, "connectTimeout"), max: .seconds(60))
        {
            engine.connectTimeout = value
        }
        if let n = fields["timeout"], let value = context.duration(n, context.join(path, "timeout"), max: .seconds(600))
        {
            engine.timeout = value
        }
        return engine
    }

    /// `tcp://HOST:PORT` (an IPv6 host in brackets) → host and port.
    static func parseTCPURI(_ text: String) -> (String, Int)? {
        guard text.hasPrefix("tcp://") else { return nil }
        let rest = text.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains("/"), !host.contains(" ") else { return nil }
        return (String(host), port)
    }
}
