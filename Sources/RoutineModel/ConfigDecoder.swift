/// Decodes and validates `config.json` (SPEC §4).
public enum ConfigDecoder {
    static let keys = [
        "$schema", "outputs", "defaultOutput", "headphoneOutput", "timezone", "clock", "location", "http", "history",
        "speech", "api",
        "mqtt",
    ]

    /// Decodes a config file; missing keys take their defaults.
    public static func decode(_ bytes: [UInt8], file: String) -> DecodeResult<Config> {
        let context = DecodingContext(file: file)
        return context.decodeDocument(bytes) { decodeConfig($0, context: context) }
    }

    static func decodeConfig(_ root: JSONNode, context: DecodingContext) -> Config? {
        guard let fields = context.object(root, "", allowed: keys, what: "a JSON object (the configuration)") else {
            return nil
        }
        var config = Config()
        if let node = fields["$schema"] { _ = context.string(node, "$schema") }
        if let node = fields["outputs"], case .object(let members) = node.value {
            var outputs: [String: OutputConfig] = [:]
            for member in members {
                let path = "outputs.\(member.key)"
                guard RoutineFileName.isValidName(member.key) else {
                    context.error(
                        path, "'\(member.key)' is not a valid output name (lower-case letters, digits, '.', '_', '-')")
                    continue
                }
                if let output = decodeOutput(member.value, path, context: context) {
                    outputs[member.key] = output
                }
            }
            if members.isEmpty {
                context.error("outputs", "must define at least one output, e.g. {\"speakers\": {\"pcm\": \"default\"}}")
            }
            config.outputs = outputs
        } else if let node = fields["outputs"] {
            context.error(
                "outputs", "expected an object of output name: {\"pcm\": ...}, got \(node.value.typeDescription)")
        }
        if let node = fields["defaultOutput"], let name = context.string(node, "defaultOutput") {
            config.defaultOutput = name
        }
        if let node = fields["headphoneOutput"], let name = context.string(node, "headphoneOutput") {
            config.headphoneOutput = name
        }
        // Unset keys follow the outputs that exist: with one output it is the default one, and
        // without a second output there is no headphone output (headphone mode is then refused).
        let names = config.outputs.keys.sorted()
        if fields["defaultOutput"] == nil, config.outputs[config.defaultOutput] == nil, names.count == 1 {
            config.defaultOutput = names[0]
        }
        if fields["headphoneOutput"] == nil, config.outputs[config.headphoneOutput] == nil {
            let others = names.filter { $0 != config.defaultOutput }
            if others.count <= 1 { config.headphoneOutput = others.first ?? config.defaultOutput }
        }
        for (key, name) in [("defaultOutput", config.defaultOutput), ("headphoneOutput", config.headphoneOutput)]
        where config.outputs[name] == nil && !config.outputs.isEmpty {
            if fields[key] != nil || fields["outputs"] != nil {
                context.error(
                    key,
                    (fields[key] == nil
                        ? "is not set and defaults to '\(name)', which 'outputs' does not define; set it"
                        : "names the output '\(name)', which 'outputs' does not define")
                        + Suggestions.hint(for: name, in: names))
            }
        }
        if let node = fields["timezone"] { config.timezone = context.timezone(node, "timezone") }
        if let node = fields["clock"],
            let text = context.choice(node, "clock", ClockStyle.allCases.map(\.rawValue), what: "clock style"),
            let style = ClockStyle(rawValue: text)
        {
            config.clock = style
        }
        if let node = fields["location"],
            let location = context.object(node, "location", allowed: ["latitude", "longitude"])
        {
            let latitude = location["latitude"].flatMap {
                context.number($0, "location.latitude", range: -90...90, unit: " degrees")
            }
            let longitude = location["longitude"].flatMap {
                context.number($0, "location.longitude", range: -180...180, unit: " degrees")
            }
            if location["latitude"] == nil || location["longitude"] == nil {
                context.error("location", "needs both 'latitude' and 'longitude' (degrees, e.g. 52.52 and 13.405)")
            }
            if let latitude, let longitude { config.location = Location(latitude: latitude, longitude: longitude) }
        }
        if let node = fields["http"], let http = context.object(node, "http", allowed: ["listen", "tokenFile"]) {
            let listen = http["listen"].flatMap { context.string($0, "http.listen") }
            let tokenFile = http["tokenFile"].flatMap { context.string($0, "http.tokenFile") }
            if let listen, !isHostPort(listen) {
                context.error("http.listen", "'\(listen)' is not HOST:PORT (e.g. 127.0.0.1:8787)")
            }
            if http["listen"] == nil { context.error("http", "needs 'listen' (HOST:PORT)") }
            if http["tokenFile"] == nil {
                context.error("http", "needs 'tokenFile': the TCP listener only runs with a bearer token")
            }
            if let listen, let tokenFile { config.http = HTTPConfig(listen: listen, tokenFile: tokenFile) }
        }
        if let node = fields["api"], let api = context.object(node, "api", allowed: ["maxConnections"]),
            let n = api["maxConnections"], let value = context.integer(n, "api.maxConnections", range: 1...1024)
        {
            config.maxConnections = value
        }
        if let node = fields["history"], let history = context.object(node, "history", allowed: ["keepPerRoutine"]) {
            if let n = history["keepPerRoutine"],
                let keep = context.integer(n, "history.keepPerRoutine", range: 1...100_000)
            {
                config.keepPerRoutine = keep
            }
        }
        if let node = fields["speech"], let speech = decodeSpeech(node, context: context) { config.speech = speech }
        if let node = fields["mqtt"] { config.mqtt = decodeMQTT(node, context: context) }
        return config
    }

    static let mqttKeys = [
        "url", "node", "prefix", "username", "passwordFile", "caFile", "discovery", "discoveryPrefix", "keepAlive",
    ]

    /// `"mqtt": {"url": "mqtt://HOST:1883", ...}`.
    static func decodeMQTT(_ node: JSONNode, context: DecodingContext) -> MQTTConfig? {
        guard let fields = context.object(node, "mqtt", allowed: mqttKeys) else { return nil }
        let before = context.diagnostics.count
        guard let urlNode = fields["url"] else {
            context.error(
                "mqtt", "needs 'url': the broker, e.g. \"mqtt://192.168.1.10:1883\" or \"mqtts://broker.lan:8883\"")
            return nil
        }
        guard let url = context.string(urlNode, "mqtt.url") else { return nil }
        guard let parts = MQTTConfig.parseURL(url) else {
            context.error(
                "mqtt.url",
                "'\(url)' is not a broker URL; write mqtt://HOST[:PORT] (default port 1883) or mqtts://HOST[:PORT] (TLS, 8883)"
            )
            return nil
        }
        var mqtt = MQTTConfig(url: url, host: parts.host, port: parts.port, tls: parts.tls)
        /// One topic level: no '/', '+', '#', not empty.
        func level(_ key: String) -> String? {
            guard let node = fields[key], let text = context.string(node, "mqtt.\(key)") else { return nil }
            if text.contains("/") || text.contains("+") || text.contains("#") || text == "all" && key == "node" {
                let why = text == "all" ? "'all' addresses every node" : "one topic level, without '/', '+' or '#'"
                context.error("mqtt.\(key)", "'\(text)' cannot be used: \(why)")
                return nil
            }
            return text
        }
        mqtt.node = level("node")
        if let prefix = level("prefix") { mqtt.prefix = prefix }
        if let node = fields["username"] { mqtt.username = context.string(node, "mqtt.username") }
        if let node = fields["passwordFile"] { mqtt.passwordFile = context.string(node, "mqtt.passwordFile") }
        if let node = fields["caFile"] { mqtt.caFile = context.string(node, "mqtt.caFile") }
        if mqtt.caFile != nil && !mqtt.tls {
            context.error("mqtt.caFile", "is only used with TLS; write the url as mqtts://HOST:8883")
        }
        if mqtt.passwordFile != nil && mqtt.username == nil {
            context.error("mqtt", "'passwordFile' needs 'username'")
        }
        if let node = fields["discovery"], let flag = context.bool(node, "mqtt.discovery") { mqtt.discovery = flag }
        if let prefix = level("discoveryPrefix") { mqtt.discoveryPrefix = prefix }
        if let node = fields["keepAlive"],
            let seconds = context.integer(node, "mqtt.keepAlive", range: 5...3600, unit: " seconds")
        {
            mqtt.keepAlive = seconds
        }
        let failed = context.diagnostics[before...].contains { $0.severity == .error }
        return failed ? nil : mqtt
    }

    static func decodeOutput(_ node: JSONNode, _ path: String, context: DecodingContext) -> OutputConfig? {
        guard let fields = context.object(node, path, allowed: ["pcm", "sink", "bluetooth", "leadIn", "mixer"]) else {
            return nil
        }
        var output: OutputConfig
        switch (fields["pcm"], fields["sink"]) {
        case (nil, nil):
            context.error(
                path,
                "needs 'pcm' (an ALSA PCM name such as \"default\", \"bluealsa\" or \"plughw:1,0\") or 'sink' (a PipeWire/PulseAudio sink; `routines outputs --discover` lists them)"
            )
            return nil
        case (.some, .some):
            context.error(
                path,
                "has both 'pcm' and 'sink'; give one: 'sink' plays through PipeWire/PulseAudio, 'pcm' through ALSA")
            return nil
        case (let pcmNode?, nil):
            guard let pcm = context.string(pcmNode, context.join(path, "pcm")) else { return nil }
            output = OutputConfig(pcm: pcm)
        case (nil, let sinkNode?):
            let sinkPath = context.join(path, "sink")
            guard let sink = context.string(sinkNode, sinkPath) else { return nil }
            guard !sink.isEmpty, !sink.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                context.error(
                    sinkPath,
                    "'\(sink)' is not a sink name; `routines outputs --discover` (or `pactl list sinks short`) lists them"
                )
                return nil
            }
            output = .sink(sink)
            if fields["mixer"] != nil {
                context.error(
                    context.join(path, "mixer"),
                    "is for ALSA outputs; a sink output's volume is the sink's own (the volume action sets it)")
            }
        }
        if let n = fields["bluetooth"] {
            output.bluetooth = context.bluetoothAddress(n, context.join(path, "bluetooth"))
        }
        if let n = fields["leadIn"] {
            output.leadIn = context.duration(n, context.join(path, "leadIn"), allowZero: true, max: .seconds(5))
        }
        if let n = fields["mixer"] { output.mixer = context.string(n, context.join(path, "mixer")) }
        return output
    }

    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return false }
        return colon != text.startIndex
    }
}
