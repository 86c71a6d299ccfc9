import RoutineModel

/// Renders `{time}` `{date}` `{weekday}` `{routine}` `{headphoneMode}` `{event.KEY}` in announcement text.
///
/// English only for now. Unknown placeholders stay as written; a missing `{event.KEY}` renders empty.
struct TemplateRenderer: Sendable {
    var local: LocalDateTime
    var clock: ClockStyle
    var routine: String
    var headphoneMode: Bool
    var eventData: [String: String]

    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

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
        case "date": return "\(Self.monthNames[max(0, min(11, local.month - 1))]) \(local.day), \(local.year)"
        case "weekday": return Self.weekdayNames[local.weekday.rawValue]
        case "routine": return routine
        case "headphoneMode": return headphoneMode ? "on" : "off"
        default:
            if key.hasPrefix("event.") { return eventData[String(key.dropFirst(6))] ?? "" }
            return nil
        }
    }

    /// `07:05` (24h) or `7:05 AM` (12h).
    var time: String {
        let minute = local.minute < 10 ? "0\(local.minute)" : "\(local.minute)"
        switch clock {
        case .h24:
            return "\(local.hour < 10 ? "0" : "")\(local.hour):\(minute)"
        case .h12:
            let hour12 = local.hour % 12 == 0 ? 12 : local.hour % 12
            return "\(hour12):\(minute) \(local.hour < 12 ? "AM" : "PM")"
        }
    }
}
