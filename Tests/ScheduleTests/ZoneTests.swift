import Foundation
import RoutineModel
import Testing

@testable import Schedule

@Suite struct ZoneTests {
    @Test(arguments: ZdumpReference.transitions.map(\.zone))
    func tzifAgreesWithZdump(_ zone: String) throws {
        let rules = try ZoneRules.named(zone)
        let changes = try #require(ZdumpReference.transitions.first { $0.zone == zone }?.changes)
        #expect(!changes.isEmpty)
        for change in changes {
            let before = Date(timeIntervalSince1970: Double(change.at - 1))
            let at = Date(timeIntervalSince1970: Double(change.at))
            #expect(rules.utcOffset(at: before) == change.before, "\(zone) before \(change.at)")
            #expect(rules.utcOffset(at: at) == change.after, "\(zone) at \(change.at)")
            // The period starts exactly there: no transition is missing or invented in between.
            #expect(rules.table.period(at: change.at).start == change.at, "\(zone) period at \(change.at)")
        }
        // Consecutive changes from one zdump range are consecutive periods.
        for (a, b) in zip(changes, changes.dropFirst()) where b.at - a.at < 366 * 86_400 {
            #expect(rules.table.period(at: a.at).end == b.at, "\(zone) period after \(a.at)")
        }
    }

    @Test func localTimeFields() throws {
        let berlin = try ZoneRules.named("Europe/Berlin")
        let t = instant("2025-03-30T01:00:00Z")
        #expect(
            berlin.localTime(t)
                == LocalTime(
                    year: 2025, month: 3, day: 30, hour: 3, minute: 0, second: 0, weekday: .sun, utcOffset: 7200))
        #expect(berlin.iso8601(t) == "2025-03-30T03:00:00+02:00")
        #expect(berlin.iso8601(t.addingTimeInterval(-1)) == "2025-03-30T01:59:59+01:00")
        // Local mean time before 1893: +00:53:28.
        #expect(berlin.iso8601(instant("1800-01-01T00:00:00Z")) == "1800-01-01T00:53:28+00:53:28")
        #expect(
            try ZoneRules.named("Asia/Kolkata").iso8601(instant("2025-01-01T00:00:00Z")) == "2025-01-01T05:30:00+05:30")
        #expect(
            try ZoneRules.named("America/St_Johns").iso8601(instant("2025-01-01T00:00:00Z"))
                == "2024-12-31T20:30:00-03:30")
        #expect(ZoneRules.utc.iso8601(instant("2025-01-01T00:00:00Z")) == "2025-01-01T00:00:00+00:00")
        #expect(ZoneRules.utc.localTime(instant("1969-12-31T23:59:59Z")).weekday == .wed)
    }

    @Test func footerRulesBeyondTheTable() throws {
        // Fat TZif tables end in 2037; these come from the POSIX footer alone.
        let berlin = try ZoneRules.named("Europe/Berlin")
        #expect(berlin.iso8601(instant("2100-07-01T12:00:00Z")) == "2100-07-01T14:00:00+02:00")
        #expect(berlin.iso8601(instant("2100-12-01T12:00:00Z")) == "2100-12-01T13:00:00+01:00")
        #expect(
            try fires(cron("30 2 * * *"), zone: "Europe/Berlin", from: "2100-03-27T12:00:00+01:00", count: 2) == [
                "2100-03-28T03:00:00+02:00", "2100-03-29T02:30:00+02:00",
            ])
        #expect(
            try fires(cron("0 0 * * *"), zone: "America/Havana", from: "2100-03-13T12:00:00-05:00", count: 2) == [
                "2100-03-14T01:00:00-04:00", "2100-03-15T00:00:00-04:00",
            ])
        #expect(try ZoneRules.named("Australia/Lord_Howe").utcOffset(at: instant("3000-01-01T00:00:00Z")) == 39_600)
    }

    @Test func unknownAndInvalidZonesAreClearErrors() {
        #expect(throws: ScheduleError.self) { try ZoneRules.named("Europe/Berln") }
        do {
            _ = try ZoneRules.named("Europe/Berln")
        } catch {
            #expect(error.message.contains("unknown time zone \"Europe/Berln\""))
            #expect(error.message.contains("did you mean \"Europe/Berlin\"?"))
        }
        #expect(throws: ScheduleError.self) { try ZoneRules.named("america/new_york") }
        #expect(ZoneNameHint.suggestion(for: "america/new_york", directory: ZoneRules.directory) == "America/New_York")
        #expect(ZoneNameHint.suggestion(for: "US/Eastern", directory: ZoneRules.directory) == "US/Eastern")
        #expect(ZoneNameHint.suggestion(for: "Nowhere/Atall", directory: ZoneRules.directory) == nil)
        do {
            _ = try ZoneRules.named("Nowhere/Atall")
        } catch {
            #expect(error.message.contains("use an IANA name such as \"Europe/Berlin\""))
        }
        for name in ["../../etc/passwd", "/etc/localtime", "", "Europe/Ber lin", "Europe"] {
            #expect(throws: ScheduleError.self, "\(name)") { try ZoneRules.named(name) }
        }
        #expect(throws: ScheduleError.self) {
            try TriggerSchedule(
                trigger: Trigger(kind: cron("0 7 * * *"), timezone: "Mars/Olympus"), defaultTimeZone: nil,
                location: nil)
        }
    }

    @Test func readsFromAnotherDirectoryAndRejectsNonTZif() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zones-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("Test"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let berlin = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin"))
        try berlin.write(to: dir.appendingPathComponent("Test/Zone"))
        try Data("not a zone".utf8).write(to: dir.appendingPathComponent("Test/Broken"))
        try berlin.prefix(60).write(to: dir.appendingPathComponent("Test/Truncated"))
        let zone = try ZoneRules.load("Test/Zone", from: dir.path)
        #expect(zone.iso8601(instant("2025-07-01T00:00:00Z")) == "2025-07-01T02:00:00+02:00")
        #expect(throws: ScheduleError.self) { try ZoneRules.load("Test/Broken", from: dir.path) }
        #expect(throws: ScheduleError.self) { try ZoneRules.load("Test/Truncated", from: dir.path) }
        #expect(throws: ScheduleError.self) { try ZoneRules.load("Test", from: dir.path) }
    }

    @Test func posixRules() throws {
        let lordHowe = try #require(PosixTimeZone(parsing: "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"))
        #expect(lordHowe.standardOffset == 37_800)
        #expect(lordHowe.daylightOffset == 39_600)
        let santiago = try #require(PosixTimeZone(parsing: "<-04>4<-03>,M9.1.6/24,M4.1.6/24"))
        // DST starts at 24:00 of the first Saturday of September 2025 (6th) = 04:00 UTC on the 7th.
        #expect(santiago.transitions(in: 2025)?.start == Int(instant("2025-09-07T04:00:00Z").timeIntervalSince1970))
        #expect(santiago.transitions(in: 2025)?.end == Int(instant("2025-04-06T03:00:00Z").timeIntervalSince1970))
        let julian = try #require(PosixTimeZone(parsing: "XXX3YYY,J60/2,300"))
        // J60 is 1 March even in leap years; zero-based day 300 is 27 October in a leap year.
        #expect(julian.transitions(in: 2024)?.start == Int(instant("2024-03-01T05:00:00Z").timeIntervalSince1970))
        #expect(julian.transitions(in: 2024)?.end == Int(instant("2024-10-27T04:00:00Z").timeIntervalSince1970))
        #expect(PosixTimeZone(parsing: "UTC0")?.daylightOffset == nil)
        #expect(PosixTimeZone(parsing: "<+0545>-5:45")?.standardOffset == 20_700)
        for bad in ["", "CET", "C-1", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,M10.5.0/x"] {
            #expect(PosixTimeZone(parsing: bad) == nil, "\(bad)")
        }
        // A zone from a TZ string alone (as `TZ=CET-1CEST,...` would give).
        let table = ZoneTable(rule: try #require(PosixTimeZone(parsing: "CET-1CEST,M3.5.0,M10.5.0/3")))
        #expect(table.period(at: Int(instant("2025-07-01T00:00:00Z").timeIntervalSince1970)).offset == 7200)
        #expect(
            table.period(at: Int(instant("2025-10-26T01:00:00Z").timeIntervalSince1970)).start
                == Int(instant("2025-10-26T01:00:00Z").timeIntervalSince1970))
    }

    @Test func systemZoneName() {
        #expect(ZoneRules.zoneName(linkTarget: "../usr/share/zoneinfo/Europe/Berlin") == "Europe/Berlin")
        #expect(ZoneRules.zoneName(linkTarget: "/usr/share/zoneinfo/Etc/UTC") == "Etc/UTC")
        #expect(ZoneRules.zoneName(linkTarget: "/etc/other") == nil)
        #expect(!ZoneRules.system().identifier.isEmpty)
    }

    @Test func calendarArithmetic() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilDate.days(year: 1969, month: 12, day: 31) == -1)
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let date = CivilDate.date(days: days)
            #expect(CivilDate.days(year: date.year, month: date.month, day: date.day) == days)
        }
        #expect(CivilDate.weekday(days: CivilDate.days(year: 2025, month: 3, day: 30)) == 0)
        #expect(CivilDate.daysInMonth(year: 2100, month: 2) == 28)
        #expect(CivilDate.daysInMonth(year: 2000, month: 2) == 29)
    }
}

@Suite struct ISO8601Tests {
    @Test func parsesWithAndWithoutOffsets() throws {
        let berlin = try ZoneRules.named("Europe/Berlin")
        #expect(berlin.parseISO8601("2025-03-29T00:00:00+01:00") == instant("2025-03-28T23:00:00Z"))
        #expect(berlin.parseISO8601("2025-03-29T00:00:00Z") == instant("2025-03-29T00:00:00Z"))
        #expect(berlin.parseISO8601("2025-03-29T05:30-0330") == instant("2025-03-29T09:00:00Z"))
        #expect(berlin.parseISO8601("2025-03-29 00:00+05") == instant("2025-03-28T19:00:00Z"))
        // No offset: the zone's wall time; a gap moves to its end, a repeat takes the first occurrence.
        #expect(berlin.parseISO8601("2025-07-01T12:00") == instant("2025-07-01T10:00:00Z"))
        #expect(berlin.parseISO8601("2025-03-30T02:30:00") == instant("2025-03-30T01:00:00Z"))
        #expect(berlin.parseISO8601("2025-10-26T02:30:00") == instant("2025-10-26T00:30:00Z"))
        #expect(berlin.instant(year: 2025, month: 10, day: 26, hour: 2, minute: 30) == instant("2025-10-26T00:30:00Z"))
        for bad in [
            "", "2025-02-29T00:00", "2025-13-01T00:00", "2025-01-01T24:00", "2025-01-01", "2025-01-01T00:00+",
            "2025-01-01T00:00Zx", "2025-01-01T00:00+1", "25-01-01T00:00",
        ] {
            #expect(berlin.parseISO8601(bad) == nil, "\(bad)")
        }
        // Round trip through the formatter.
        let t = instant("2025-10-26T01:30:00Z")
        #expect(berlin.parseISO8601(berlin.iso8601(t)) == t)
    }
}

@Suite struct TZifFormatTests {
    /// A version-1 file (32-bit times, no footer) cut from the installed Berlin file.
    @Test func readsVersionOneFiles() throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        func count(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let (isut, isstd, leap, time, type, char) = (count(20), count(24), count(28), count(32), count(36), count(40))
        let v1Size = 44 + time * 5 + type * 6 + char + leap * 8 + isstd + isut
        bytes = Array(bytes[0..<v1Size])
        bytes[4] = 0
        let v1 = try TZif(bytes: bytes)
        #expect(v1.footer == nil)
        let table = ZoneTable(v1)
        let fat = try ZoneRules.named("Europe/Berlin").table
        for t in stride(from: -2_000_000_000, to: 2_100_000_000, by: 6 * 3600) {
            #expect(table.period(at: t).offset == fat.period(at: t).offset)
        }
    }

    @Test func loadsByPath() throws {
        let zone = try #require(ZoneRules.load(path: "/usr/share/zoneinfo/America/New_York"))
        #expect(zone.identifier == "America/New_York")
        #expect(zone.iso8601(instant("2025-07-04T16:00:00Z")) == "2025-07-04T12:00:00-04:00")
        #expect(ZoneRules.load(path: "/nonexistent/zone") == nil)
    }
}

@Suite struct TZifRobustnessTests {
    /// Truncated and corrupted files either load or throw; loaded ones answer without trapping or hanging.
    @Test func corruptFilesNeverTrap() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/America/Santiago")))
        var random: UInt64 = 99
        func next() -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(random >> 33)
        }
        var loaded = 0
        for trial in 0..<400 {
            var bytes = original
            if trial % 4 == 0 {
                bytes = Array(bytes.prefix(next() % bytes.count))
            } else {
                for _ in 0...(trial % 5) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            }
            guard let tzif = try? TZif(bytes: bytes) else { continue }
            loaded += 1
            let table = ZoneTable(tzif)
            for t in stride(from: -3_000_000_000, to: 5_000_000_000, by: 97_000_000) {
                let period = table.period(at: t)
                #expect(period.start <= t && t < period.end)
                _ = table.firstInstant(local: t)
            }
        }
        #expect(loaded > 0)
        #expect(throws: TZif.FormatError.self) {
            try TZif(bytes: Array(original.prefix(44)) + [UInt8](repeating: 0xFF, count: 8))
        }
    }
}
