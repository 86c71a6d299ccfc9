#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import RoutineModel
import Synchronization

/// An IANA time zone's rules, read from the system's TZif files (`TZDIR`, else `/usr/share/zoneinfo`).
///
/// Loaded zones are cached for the life of the process, so repeated lookups are cheap and every
/// schedule shares one table per zone.
public struct ZoneRules: Sendable {
    /// The zone's identifier (`Europe/Berlin`).
    public let identifier: String
    let table: ZoneTable

    init(identifier: String, table: ZoneTable) {
        self.identifier = identifier
        self.table = table
    }

    /// Coordinated Universal Time.
    public static let utc = ZoneRules(identifier: "UTC", table: ZoneTable(fixedOffset: 0))

    /// Loads a zone by name; throws with a clear message for unknown names.
    public static func named(_ identifier: String) throws(ScheduleError) -> ZoneRules {
        if let cached = cache.withLock({ $0[identifier] }) { return cached }
        let zone = try load(identifier)
        cache.withLock { $0[identifier] = zone }
        return zone
    }

    /// The system's zone (`TZ`, else `/etc/localtime`, else UTC).
    public static func system() -> ZoneRules {
        let environment = ProcessInfo.processInfo.environment
        if var tz = environment["TZ"], !tz.isEmpty {
            if tz.hasPrefix(":") { tz.removeFirst() }
            if let zone = try? named(tz) { return zone }
            if let rule = PosixTimeZone(parsing: tz) {
                return ZoneRules(identifier: tz, table: ZoneTable(rule: rule))
            }
        }
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/localtime"),
            let name = zoneName(linkTarget: target), let zone = try? named(name)
        {
            return zone
        }
        if let bytes = try? Data(contentsOf: URL(fileURLWithPath: "/etc/localtime")),
            let tzif = try? TZif(bytes: Array(bytes))
        {
            return ZoneRules(identifier: "localtime", table: ZoneTable(tzif))
        }
        return .utc
    }

    /// The zone name in a link target such as `../usr/share/zoneinfo/Europe/Berlin`.
    static func zoneName(linkTarget: String) -> String? {
        let parts = linkTarget.split(separator: "/")
        guard let index = parts.lastIndex(where: { $0 == "zoneinfo" }), index + 1 < parts.count else { return nil }
        return parts[(index + 1)...].joined(separator: "/")
    }

    /// Offset from UTC in seconds (east-positive) at `instant`.
    public func utcOffset(at instant: Date) -> Int {
        table.period(at: Self.seconds(instant)).offset
    }

    /// Local fields of `instant`.
    public func localTime(_ instant: Date) -> LocalTime {
        let t = Self.seconds(instant)
        let offset = table.period(at: t).offset
        let fields = LocalFields(localSeconds: t + offset)
        return LocalTime(
            year: fields.year, month: fields.month, day: fields.day, hour: fields.hour, minute: fields.minute,
            second: fields.second, weekday: Weekday(rawValue: CivilDate.weekday(days: fields.days)) ?? .sun,
            utcOffset: offset)
    }

    /// ISO 8601 with the zone's UTC offset: `2025-03-30T03:00:00+02:00`.
    public func iso8601(_ instant: Date) -> String {
        let local = localTime(instant)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var year = String(abs(local.year))
        while year.count < 4 { year = "0" + year }
        if local.year < 0 { year = "-" + year }
        let magnitude = abs(local.utcOffset)
        var offset = (local.utcOffset < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude / 60 % 60)
        if magnitude % 60 != 0 { offset += ":" + two(magnitude % 60) }
        return "\(year)-\(two(local.month))-\(two(local.day))T\(two(local.hour)):\(two(local.minute)):"
            + "\(two(local.second))\(offset)"
    }

    /// Whole seconds at or before `instant` (schedule math works on whole seconds).
    static func seconds(_ instant: Date) -> Int {
        let value = instant.timeIntervalSince1970.rounded(.down)
        return value >= 9e15 ? Int(9e15) : value <= -9e15 ? Int(-9e15) : Int(value)
    }

    private static let cache = Mutex<[String: ZoneRules]>(["UTC": .utc])

    /// The folder holding the TZif files.
    static var directory: String {
        let dir = ProcessInfo.processInfo.environment["TZDIR"] ?? ""
        return dir.isEmpty ? "/usr/share/zoneinfo" : dir
    }

    /// Reads `identifier`'s TZif file from `directory`, uncached.
    static func load(_ identifier: String, from directory: String = directory) throws(ScheduleError) -> ZoneRules {
        let allowed = identifier.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "-"),
                UInt8(ascii: "+"), UInt8(ascii: "."):
                return true
            default: return false
            }
        }
        guard !identifier.isEmpty, allowed, !identifier.hasPrefix("/"),
            !identifier.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else {
            throw ScheduleError(
                "invalid time zone \"\(identifier)\": use an IANA name such as \"Europe/Berlin\" or \"UTC\"")
        }
        let path = directory + "/" + identifier
        guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: path))
        else {
            throw ScheduleError(
                "unknown time zone \"\(identifier)\" (not found in \(directory)); "
                    + "use an IANA name such as \"Europe/Berlin\" or \"America/New_York\"")
        }
        do {
            return ZoneRules(identifier: identifier, table: ZoneTable(try TZif(bytes: Array(bytes))))
        } catch {
            throw ScheduleError("time zone \"\(identifier)\": \(path) is unreadable: \(error.reason)")
        }
    }
}

/// Local calendar fields of an instant in one IANA zone (for conditions, templates and output).
public struct LocalTime: Sendable, Equatable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    public var weekday: Weekday
    /// Offset from UTC in seconds at that instant.
    public var utcOffset: Int
}

/// A zone's offset history as constant-offset periods: a transition table, then a POSIX rule.
final class ZoneTable: Sendable {
    let transitions: [Int]
    let offsets: [Int]
    let initialOffset: Int
    let rule: PosixTimeZone?

    init(_ tzif: TZif) {
        transitions = tzif.transitions
        offsets = tzif.offsets
        initialOffset = tzif.initialOffset
        rule = tzif.footer
    }

    init(fixedOffset: Int) {
        transitions = []
        offsets = []
        initialOffset = fixedOffset
        rule = nil
    }

    init(rule: PosixTimeZone) {
        transitions = []
        offsets = []
        initialOffset = rule.standardOffset
        self.rule = rule
    }

    /// The constant-offset period containing the UTC instant `t`.
    func period(at t: Int) -> OffsetPeriod {
        let count = transitions.count
        if count == 0 || t >= transitions[count - 1] {
            let start = count == 0 ? Int.min : transitions[count - 1]
            guard let rule else {
                return OffsetPeriod(start: start, end: .max, offset: count == 0 ? initialOffset : offsets[count - 1])
            }
            var period = rule.period(at: t)
            if period.start < start { period.start = start }
            return period
        }
        if t < transitions[0] { return OffsetPeriod(start: .min, end: transitions[0], offset: initialOffset) }
        // Largest i with transitions[i] <= t; here 0 <= i < count - 1.
        var low = 0
        var high = count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if transitions[mid] <= t { low = mid } else { high = mid }
        }
        return OffsetPeriod(start: transitions[low], end: transitions[low + 1], offset: offsets[low])
    }

    /// The earliest instant showing the wall time `local` (seconds, read as if UTC), or, when that
    /// wall time is skipped by a forward jump, the first instant after the gap.
    ///
    /// This is SPEC §3's rule for fixed-time fires: once, at the first occurrence in a fall-back
    /// repeat, and at the first valid instant after a spring-forward gap.
    func firstInstant(local: Int) -> Int {
        // No offset exceeds 26 h, so the period containing local - 27 h starts before any answer.
        var period = self.period(at: local &- 27 * 3600)
        while true {
            let t = local - period.offset
            if t < period.start { return period.start }  // local fell into the gap before this period
            if t < period.end { return t }
            period = self.period(at: period.end)
        }
    }
}
