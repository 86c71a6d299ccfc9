/// Duration text: `250ms`, `2s`, `4m`, `1h30m`, `1d`, or a number of seconds (`90`, `0.5`).
public enum DurationText {
    /// Parses a duration string; nil when malformed. Negative values only with `allowNegative`
    /// (sun offsets such as `-15m`).
    public static func parse(_ text: String, allowNegative: Bool = false) -> Duration? {
        var bytes = Array(text.utf8)
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes.removeFirst()
            if negative && !allowNegative { return nil }
        }
        guard !bytes.isEmpty else { return nil }
        // A plain number is seconds.
        if bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) {
            guard let seconds = Double(String(decoding: bytes, as: UTF8.self)), seconds.isFinite else { return nil }
            return fromSeconds(negative ? -seconds : seconds)
        }
        var total = 0.0
        var index = 0
        var lastUnitRank = Int.max
        while index < bytes.count {
            let numberStart = index
            while index < bytes.count,
                (bytes[index] >= 0x30 && bytes[index] <= 0x39) || bytes[index] == UInt8(ascii: ".")
            {
                index += 1
            }
            guard index > numberStart, let value = Double(String(decoding: bytes[numberStart..<index], as: UTF8.self))
            else { return nil }
            let unitStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "a"), bytes[index] <= UInt8(ascii: "z") {
                index += 1
            }
            let unit = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            let (scale, rank): (Double, Int)
            switch unit {
            case "d": (scale, rank) = (86_400, 5)
            case "h": (scale, rank) = (3_600, 4)
            case "m", "min": (scale, rank) = (60, 3)
            case "s": (scale, rank) = (1, 2)
            case "ms": (scale, rank) = (0.001, 1)
            default: return nil
            }
            // Units must go from large to small, each once: "1h30m", not "30m1h".
            guard rank < lastUnitRank else { return nil }
            lastUnitRank = rank
            total += value * scale
        }
        guard total.isFinite, total < 1e9 else { return nil }
        return fromSeconds(negative ? -total : total)
    }

    /// A duration from seconds, rounded to the microsecond.
    static func fromSeconds(_ seconds: Double) -> Duration? {
        guard seconds.isFinite, abs(seconds) < 1e9 else { return nil }
        return .microseconds(Int64((seconds * 1_000_000).rounded()))
    }

    /// Formats a duration the way it is written in routine files (`1h30m`, `250ms`, `2s`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let totalMs = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if totalMs == 0 { return "0s" }
        var rest = abs(totalMs)
        var out = totalMs < 0 ? "-" : ""
        if rest % 1000 != 0 && rest < 1000 { return out + "\(rest)ms" }
        let parts: [(Int64, String)] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s")]
        for (size, unit) in parts where rest >= size {
            if unit == "s" && rest % 1000 != 0 {
                let ms = rest % 1000
                var frac = String(ms)
                while frac.count < 3 { frac = "0" + frac }
                while frac.hasSuffix("0") { frac.removeLast() }
                out += "\(rest / 1000).\(frac)s"
                rest = 0
                break
            }
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        if rest > 0 { out += "\(rest)ms" }
        return out
    }

    /// Seconds as a Double.
    public static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }
}

/// Routine names and which files in the routines folder count (SPEC §2).
public enum RoutineFileName {
    /// The routine name for a file name (`good-morning.json` → `good-morning`); nil for files that
    /// are not routines (wrong extension, ignored leftovers, or a name outside `[a-z0-9][a-z0-9._-]*`).
    public static func routineName(forFileName fileName: String) -> String? {
        guard fileName.hasSuffix(".json"), !isIgnored(fileName) else { return nil }
        let name = String(fileName.dropLast(5))
        return isValidName(name) ? name : nil
    }

    /// Editor and atomic-save leftovers: names starting with `.` or ending in `~`, `.swp`, `.tmp`.
    public static func isIgnored(_ fileName: String) -> Bool {
        fileName.hasPrefix(".") || fileName.hasSuffix("~") || fileName.hasSuffix(".swp") || fileName.hasSuffix(".tmp")
    }

    /// Whether `name` matches `[a-z0-9][a-z0-9._-]*`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, isLowerAlnum(first), bytes.count <= 128 else { return false }
        return bytes.allSatisfy {
            isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isLowerAlnum(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    /// The base name of a path (`/x/y/good-morning.json` → `good-morning.json`).
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
