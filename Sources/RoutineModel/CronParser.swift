extension CronExpression {
    /// Parses cron text: 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first,
    /// or a macro (`@hourly` `@daily` `@midnight` `@weekly` `@monthly` `@yearly` `@annually`).
    public init(parsing text: String) throws(CronParseError) {
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var fields = trimmed
        if fields.count == 1, let macro = fields.first, macro.hasPrefix("@") {
            switch macro.lowercased() {
            case "@hourly": fields = ["0", "*", "*", "*", "*"]
            case "@daily", "@midnight": fields = ["0", "0", "*", "*", "*"]
            case "@weekly": fields = ["0", "0", "*", "*", "0"]
            case "@monthly": fields = ["0", "0", "1", "*", "*"]
            case "@yearly", "@annually": fields = ["0", "0", "1", "1", "*"]
            default:
                throw CronParseError(
                    "unknown macro '\(macro)'"
                        + Suggestions.hint(
                            for: macro,
                            in: ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"]))
            }
        }
        guard fields.count == 5 || fields.count == 6 else {
            throw CronParseError(
                "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found \(fields.count)"
            )
        }
        let hasSeconds = fields.count == 6
        let offset = hasSeconds ? 1 : 0
        let seconds = hasSeconds ? try CronField.parse(fields[0], .second) : 1
        let minutes = try CronField.parse(fields[offset], .minute)
        let hours = try CronField.parse(fields[offset + 1], .hour)
        let dom = try CronField.parse(fields[offset + 2], .dayOfMonth)
        let months = try CronField.parse(fields[offset + 3], .month)
        var dow = try CronField.parse(fields[offset + 4], .dayOfWeek)
        // 7 means Sunday, as 0 does.
        if dow & (1 << 7) != 0 { dow = (dow & ~(1 << 7)) | 1 }
        let hourField = fields[offset + 1]
        self.init(
            source: text,
            seconds: seconds,
            minutes: minutes,
            hours: UInt32(truncatingIfNeeded: hours),
            daysOfMonth: UInt32(truncatingIfNeeded: dom),
            months: UInt16(truncatingIfNeeded: months),
            daysOfWeek: UInt8(truncatingIfNeeded: dow),
            // As in Vixie cron, a field that starts with '*' (also '*/2') counts as unrestricted.
            dayOfMonthRestricted: !fields[offset + 2].hasPrefix("*"),
            dayOfWeekRestricted: !fields[offset + 4].hasPrefix("*"),
            hourIsFixed: hours.nonzeroBitCount == 1 && !hourField.contains("*")
        )
    }
}

/// One cron field's grammar.
enum CronField {
    case second, minute, hour, dayOfMonth, month, dayOfWeek

    var name: String {
        switch self {
        case .second: return "second"
        case .minute: return "minute"
        case .hour: return "hour"
        case .dayOfMonth: return "day-of-month"
        case .month: return "month"
        case .dayOfWeek: return "day-of-week"
        }
    }

    var range: ClosedRange<Int> {
        switch self {
        case .second, .minute: return 0...59
        case .hour: return 0...23
        case .dayOfMonth: return 1...31
        case .month: return 1...12
        case .dayOfWeek: return 0...7
        }
    }

    var names: [String] {
        switch self {
        case .month: return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        case .dayOfWeek: return ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        default: return []
        }
    }

    /// Parses one field into a bit set (bit n = value n).
    static func parse(_ text: String, _ field: CronField) throws(CronParseError) -> UInt64 {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            bits |= try parseItem(String(item), field, whole: text)
        }
        return bits
    }

    private static func parseItem(_ item: String, _ field: CronField, whole: String) throws(CronParseError) -> UInt64 {
        guard !item.isEmpty else {
            throw CronParseError("\(field.name) field: empty list item in '\(whole)'")
        }
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw CronParseError("\(field.name) field: '\(item)' has more than one '/'")
        }
        var step = 1
        if parts.count == 2 {
            guard let value = Int(parts[1]), value > 0 else {
                throw CronParseError("\(field.name) field: step '\(parts[1])' in '\(item)' must be a positive number")
            }
            guard value <= field.range.upperBound else {
                throw CronParseError(
                    "\(field.name) field: step \(value) in '\(item)' is larger than the field's range \(field.range.lowerBound)-\(field.range.upperBound)"
                )
            }
            step = value
        }
        let base = String(parts[0])
        var low: Int
        var high: Int
        if base == "*" {
            low = field.range.lowerBound
            high = field == .dayOfWeek ? 6 : field.range.upperBound
        } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
            low = try value(String(base[..<dash]), field)
            high = try value(String(base[base.index(after: dash)...]), field)
            guard low <= high else {
                throw CronParseError("\(field.name) field: range '\(base)' goes backwards (\(low) > \(high))")
            }
        } else {
            low = try value(base, field)
            // "5/10" means from 5 to the end in steps of 10.
            high = parts.count == 2 ? (field == .dayOfWeek ? 6 : field.range.upperBound) : low
        }
        var bits: UInt64 = 0
        var v = low
        while v <= high {
            bits |= 1 << UInt64(v)
            v += step
        }
        return bits
    }

    private static func value(_ text: String, _ field: CronField) throws(CronParseError) -> Int {
        if let number = Int(text) {
            guard field.range.contains(number) else {
                throw CronParseError(
                    "\(field.name) field: \(number) is out of range \(field.range.lowerBound)-\(field.range.upperBound)"
                )
            }
            return number
        }
        let lower = text.lowercased()
        if let index = field.names.firstIndex(of: lower) {
            return field == .month ? index + 1 : index
        }
        if field.names.isEmpty {
            throw CronParseError(
                "\(field.name) field: '\(text)' is not a number in \(field.range.lowerBound)-\(field.range.upperBound)")
        }
        throw CronParseError(
            "\(field.name) field: '\(text)' is not a number or a name" + Suggestions.hint(for: lower, in: field.names))
    }
}
