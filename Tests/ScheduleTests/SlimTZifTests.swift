import Foundation
import Testing

@testable import Schedule

/// "Slim" TZif files (zic -b slim) stop at the last rule change and leave every later year to the
/// POSIX footer; they must give the same offsets as the installed "fat" files.
@Suite struct SlimTZifTests {
    static let zic = "/usr/sbin/zic"
    static let source = "/usr/share/zoneinfo/tzdata.zi"

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: zic) && FileManager.default.fileExists(atPath: source)))
    func slimFilesMatchFatFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slim-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.zic)
        process.arguments = ["-b", "slim", "-d", dir.path, Self.source]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        for name in [
            "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "America/Havana",
            "Asia/Beirut", "Europe/Dublin", "Africa/Casablanca", "Asia/Tehran", "Pacific/Chatham",
        ] {
            let fat = try ZoneRules.load(name, from: ZoneRules.directory)
            let slim = try ZoneRules.load(name, from: dir.path)
            var mismatches = 0
            // Every 3 hours from 1970 to 2040.
            for t in stride(from: 0, to: 2_208_988_800, by: 3 * 3600)
            where
                fat.table.period(at: t).offset != slim.table.period(at: t).offset
            {
                mismatches += 1
            }
            #expect(mismatches == 0, "\(name)")
        }
    }
}
