import FoundationEssentials
import RoutineModel
import Schedule

/// Formats `routines next` output.
enum NextOutput {
    /// `[{"routine": …, "trigger": …, "time": "2025-03-30T03:00:00+02:00"}, …]`.
    static func json(_ fires: [UpcomingFire], zone: ZoneRules) -> String {
        if fires.isEmpty { return "[]" }
        let rows = fires.map { fire in
            "  {\"routine\": \(jsonString(fire.routine)), \"trigger\": \(jsonString(fire.trigger)), "
                + "\"time\": \(jsonString(zone.iso8601(fire.time)))}"
        }
        return "[\n" + rows.joined(separator: ",\n") + "\n]"
    }

    /// A readable table with relative times ("in 3 h 12 min").
    static func table(_ fires: [UpcomingFire], zone: ZoneRules, reference: Date) -> String {
        if fires.isEmpty { return "no upcoming fires\n" }
        let header = ["ROUTINE", "TRIGGER", "TIME", "WHEN"]
        var rows: [[String]] = []
        for fire in fires {
            let local = zone.localTime(fire.time)
            let day = local.weekday.name.prefix(1).uppercased() + local.weekday.name.dropFirst()
            rows.append([
                fire.routine, fire.trigger, "\(day) \(zone.iso8601(fire.time))",
                relative(fire.time.timeIntervalSince(reference)),
            ])
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// "in 3 h 12 min", "in 45 s", "in 2 d 4 h", "now".
    static func relative(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        if total <= 0 { return "now" }
        let days = total / 86_400
        let hours = (total % 86_400) / 3_600
        let minutes = (total % 3_600) / 60
        let secs = total % 60
        if days > 0 { return hours > 0 ? "in \(days) d \(hours) h" : "in \(days) d" }
        if hours > 0 { return minutes > 0 ? "in \(hours) h \(minutes) min" : "in \(hours) h" }
        if minutes > 0 { return secs > 0 && minutes < 10 ? "in \(minutes) min \(secs) s" : "in \(minutes) min" }
        return "in \(secs) s"
    }
}

/// A JSON string literal.
func jsonString(_ text: String) -> String { JSONText.string(text) }
