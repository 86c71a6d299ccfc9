import RoutineModel

/// Renders `{time}` `{date}` `{weekday}` `{routine}` `{headphoneMode}` `{event.KEY}` in announcement text.
///
/// `{time}` `{date}` `{weekday}` are said by `dates` in the language of `voice` (a voice name; see
/// `DateSpeaker`), English by default. Unknown placeholders stay as written; a missing `{event.KEY}`
/// renders empty.
struct TemplateRenderer: Sendable {
    var local: LocalDateTime
    var clock: ClockStyle
    var routine: String
    var headphoneMode: Bool
    var eventData: [String: String]
    /// Says times, dates and weekdays in the voice's language.
    var dates: any DateSpeaker
    /// The announcement's voice, which picks the language of times, dates and weekdays.
    var voice: String = "en"

    /// The text with every known placeholder replaced.
    func render(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                rest = rest[open...]
                break
            }
            let key = String(rest[rest.index(after: open)..<close])
            out += value(for: key) ?? "{\(key)}"
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    func value(for key: String) -> String? {
        switch key {
        case "time": return time
        case "date": return dates.date(local, voice: voice)
        case "weekday": return dates.weekday(local.weekday, voice: voice)
        case "routine": return routine
        case "headphoneMode": return headphoneMode ? "on" : "off"
        default:
            if key.hasPrefix("event.") { return eventData[String(key.dropFirst(6))] ?? "" }
            return nil
        }
    }

    /// A JSON value with every string in it rendered (a `publish` payload).
    func render(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(render(text))
        case .array(let items):
            return .array(items.map { JSONNode(render($0.value), line: $0.line, column: $0.column) })
        case .object(let members):
            return .object(
                members.map {
                    JSONMember(
                        key: $0.key,
                        value: JSONNode(render($0.value.value), line: $0.value.line, column: $0.value.column))
                })
        default: return value
        }
    }

    /// `07:05` (24h) or `7:05 AM` (12h), in the voice's language.
    var time: String { dates.time(local, clock: clock, voice: voice) }
}
