import Audio
import FoundationEssentials

/// `routines outputs --discover`: the audio server's sinks and ALSA's PCMs, each with the config
/// snippet that names it.
public enum OutputDiscovery {
    /// The report, and whether the audio server answered.
    public static func report(server address: String? = nil, timeout: Duration = .seconds(3)) async -> (
        text: String, serverAnswered: Bool
    ) {
        let server = AudioServer(sinkOutputs: [:], server: address)
        server.start()
        let result = await server.sinkList(timeout: timeout)
        server.stop()
        var lines: [String] = []
        var answered = false
        switch result {
        case .success(let sinks):
            answered = true
            lines.append("PipeWire/PulseAudio sinks (\(sinks.count)):")
            for sink in sinks {
                var line = "  \(sink.name)  \"\(sink.description)\"  \(sink.state)"
                if let address = sink.bluetooth { line += "  bluetooth \(address)" }
                lines.append(line)
                lines.append("    " + snippet(sink: sink))
            }
            if sinks.isEmpty { lines.append("  (none)") }
        case .failure(let error):
            lines.append("PipeWire/PulseAudio: \(error.message)")
        }
        let pcms = knownPCMs()
        lines.append("")
        lines.append("ALSA PCMs (\(pcms.count)):")
        for pcm in pcms {
            lines.append("  \(pcm)")
            lines.append("    " + #""NAME": {"pcm": \#(json(pcm))}"#)
        }
        if pcms.isEmpty { lines.append("  (none)") }
        lines.append("")
        lines.append("Put a snippet under \"outputs\" in config.json, with your own NAME (e.g. \"headphones\").")
        return (lines.joined(separator: "\n"), answered)
    }

    /// The config snippet for a sink (with its Bluetooth address, so the output follows the device).
    static func snippet(sink: ServerSink) -> String {
        var members = [#""sink": \#(json(sink.name))"#]
        if let address = sink.bluetooth { members.append(#""bluetooth": "\#(address)""#) }
        return #""NAME": {\#(members.joined(separator: ", "))}"#
    }

    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
