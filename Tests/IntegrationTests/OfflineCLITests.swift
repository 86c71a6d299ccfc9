import Foundation
import Testing

/// The offline commands of the built binary: `validate` and `next --file/--trigger`.
@Suite struct OfflineCLITests {
    @Test func shippedRoutinesAreValid() throws {
        let result = try CLI.run(["validate", "Routines/"])
        #expect(result.status == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("routine files valid"))
    }

    @Test func validateReportsEachProblemWithFileAndPath() throws {
        let dir = try TempDir()
        let bad = try dir.write(
            "bad.json",
            """
            {
              "triggers": [ { "at": "25:00" } ],
              "actions": [ { "tone": { "frequency": 440, "level": 3 } } ],
              "modee": "single"
            }
            """)
        let result = try CLI.run(["validate", bad])
        #expect(result.status != 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(bad): triggers[0].at:") })
        #expect(lines.contains { $0.hasPrefix("\(bad): actions[0].tone.level:") })
        #expect(lines.contains { $0.contains("modee") && $0.contains("did you mean 'mode'") })
    }

    @Test func validateSyntaxErrorHasLineAndColumn() throws {
        let dir = try TempDir()
        let bad = try dir.write(
            "broken.json", "{\n  \"triggers\": [\n    { \"startup\": true }\n  \"actions\": []\n}\n")
        let result = try CLI.run(["validate", bad])
        #expect(result.status != 0)
        #expect(result.stdout.hasPrefix("\(bad):4:3:"), "\(result.stdout)")
    }

    @Test func validateFolderSkipsEditorLeftovers() throws {
        let dir = try TempDir()
        _ = try dir.write("ok.json", #"{"triggers":[{"startup":true}],"actions":[{"wait":"1s"}]}"#)
        _ = try dir.write(".ok.json.swp", "garbage")
        _ = try dir.write("ok.json~", "garbage")
        _ = try dir.write(".hidden.json", "garbage")
        let result = try CLI.run(["validate", dir.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("1 routine file valid"))
    }

    @Test func validateChecksVoicesAgainstEspeak() throws {
        let dir = try TempDir()
        let bad = try dir.write(
            "talk.json", #"{"triggers":[{"event":"x"}],"actions":[{"announce":"Hallo","voice":"germn"}]}"#)
        let result = try CLI.run(["validate", bad])
        #expect(result.status != 0)
        #expect(
            result.stdout.contains("\(bad): actions[0].voice: unknown voice 'germn'; did you mean 'de'"),
            "\(result.stdout)")
        let good = try dir.write(
            "talk2.json", #"{"triggers":[{"event":"x"}],"actions":[{"announce":"Hallo","voice":"de"}]}"#)
        #expect(try CLI.run(["validate", good]).status == 0)
    }

    @Test func validateMissingPathNamesIt() throws {
        let result = try CLI.run(["validate", "/nonexistent/x.json"])
        #expect(result.status != 0)
        #expect(result.stdout.contains("/nonexistent/x.json"))
        #expect(result.stdout.contains("No such file"))
    }

    /// The acceptance example of issue 2: Berlin's spring-forward gap.
    @Test func nextAcrossSpringForwardGap() throws {
        let result = try CLI.run([
            "next", "--trigger", #"{"cron":"30 2 * * *"}"#, "--from", "2025-03-29T00:00:00+01:00",
            "--timezone", "Europe/Berlin", "--count", "3", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let data = Data(result.stdout.utf8)
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(
            rows.compactMap { $0["time"] as? String } == [
                "2025-03-29T02:30:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00",
            ])
        #expect(rows.allSatisfy { $0["routine"] is String && $0["trigger"] != nil })
    }

    @Test func nextFromFileMergesTriggersInOrder() throws {
        let dir = try TempDir()
        let file = try dir.write(
            "two.json",
            """
            {"triggers": [ {"at": "07:00", "id": "morning"}, {"cron": "0 12 * * *"}, {"event": "x"} ],
             "actions": [ {"wait": "1s"} ]}
            """)
        let result = try CLI.run([
            "next", "--file", file, "--from", "2025-06-01T08:00:00Z", "--timezone", "UTC", "--count", "3", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(
            rows.compactMap { $0["time"] as? String } == [
                "2025-06-01T12:00:00+00:00", "2025-06-02T07:00:00+00:00", "2025-06-02T12:00:00+00:00",
            ])
        #expect(rows.compactMap { $0["trigger"] as? String } == ["1", "morning", "1"])
        #expect(rows.allSatisfy { ($0["routine"] as? String) == "two" })
    }

    @Test func nextTableShowsRelativeTimes() throws {
        let result = try CLI.run([
            "next", "--trigger", #"{"at":"11:12"}"#, "--from", "2025-06-01T08:00:00", "--timezone", "UTC",
            "--count", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("in 3 h 12 min"), "\(result.stdout)")
    }

    @Test func nextRejectsBadInputClearly() throws {
        let badFrom = try CLI.run(["next", "--trigger", #"{"at":"07:00"}"#, "--from", "yesterday"])
        #expect(badFrom.status != 0)
        #expect(badFrom.stderr.contains("--from"))

        let badZone = try CLI.run(["next", "--trigger", #"{"at":"07:00"}"#, "--timezone", "Mars/Olympus"])
        #expect(badZone.status != 0)
        #expect(badZone.stderr.contains("Mars/Olympus"))

        let badTrigger = try CLI.run(["next", "--trigger", #"{"cron":"61 * * * *"}"#])
        #expect(badTrigger.status != 0)
        #expect(badTrigger.stderr.contains("--trigger"))

        let badCount = try CLI.run(["next", "--trigger", #"{"at":"07:00"}"#, "--count", "0"])
        #expect(badCount.status != 0)
        #expect(badCount.stderr.contains("--count"))

        let sunWithoutLocation = try CLI.run(["next", "--trigger", #"{"sun":"sunrise"}"#])
        #expect(sunWithoutLocation.status != 0)
        #expect(sunWithoutLocation.stderr.contains("location"))
    }

    @Test func helpListsCommands() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        for command in ["validate", "next", "daemon"] {
            #expect(result.stdout.contains(command))
        }
    }
}
