import RoutineModel
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An IANA time zone's rules, read from the system's TZif files (`TZDIR`, else `/usr/share/zoneinfo`).
///
/// Loaded zones are cached for the life of the process, so repeated lookups are cheap and every
/// schedule shares one table per zone.
public struct ZoneRules: Sendable {
    /// The zone's identifier (`Europe/Berlin`).
    public let identifier: String
    let table: ZoneTable

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
            if tz.hasPrefix("/"), let zone = load(path: tz) { return zone }
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
        return load(path: "/etc/localtime") ?? .utc
    }

    /// A zone from a TZif file given by path (`TZ=/path`, a copied `/etc/localtime`), named after
    /// the zone folder's part of the path when it has one.
    static func load(path: String) -> ZoneRules? {
        guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: path)), let tzif = try? TZif(bytes: Array(bytes))
        else { return nil }
        return ZoneRules(identifier: zoneName(linkTarget: path) ?? "localtime", table: ZoneTable(tzif))
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

    /// Whole seconds at or before `instant` (schedule math works on whole seconds).
    /// Clamped to ±`maximumSeconds` (about ±285 million years), so day arithmetic cannot overflow.
    static func seconds(_ instant: Date) -> Int {
        let value = instant.timeIntervalSince1970.rounded(.down)
        guard value.isFinite else { return value.isNaN ? 0 : value > 0 ? maximumSeconds : -maximumSeconds }
        return value >= Double(maximumSeconds)
            ? maximumSeconds : value <= -Double(maximumSeconds) ? -maximumSeconds : Int(value)
    }

    /// The largest magnitude of instant (seconds from 1970) schedule math works with.
    static let maximumSeconds = 9_000_000_000_000_000

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
            if let hint = ZoneNameHint.suggestion(for: identifier, directory: directory) {
                throw ScheduleError(
                    "unknown time zone \"\(identifier)\" (not found in \(directory)); did you mean \"\(hint)\"?")
            }
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
