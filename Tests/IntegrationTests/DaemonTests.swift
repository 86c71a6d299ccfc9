import Foundation
import Testing

/// The built daemon driven through the CLI and its socket.
@Suite(.timeLimit(.minutes(2))) struct DaemonIntegrationTests {
    static let waitOne = #"{"triggers":[{"event":"go"}],"actions":[{"wait":"10ms"}]}"#

    func history(_ daemon: DaemonProcess, _ routine: String? = nil) throws -> [[String: Any]] {
        var args = ["history", "--json", "--limit", "100"]
        if let routine { args.insert(routine, at: 1) }
        let result = try daemon.cli(args)
        #expect(result.status == 0, "\(result.stderr)")
        return try jsonArray(result.stdout)
    }

    func routineNames(_ daemon: DaemonProcess) throws -> [String: [String: Any]] {
        let result = try daemon.cli(["list", "--json"])
        var byName: [String: [String: Any]] = [:]
        for row in try jsonArray(result.stdout) { byName[row["name"] as? String ?? ""] = row }
        return byName
    }

    @Test func triggerRunsAndHistoryRecordsIt() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": Self.waitOne])
        try daemon.start()
        let result = try daemon.cli(["trigger", "quick", "--wait"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("quick: success"))
        let runs = try history(daemon, "quick")
        #expect(runs.count == 1)
        let listed = try routineNames(daemon)["quick"]?["lastRun"] as? [String: Any]
        #expect(listed?["outcome"] as? String == "success", "routines list shows the last run")
        #expect(runs.first?["outcome"] as? String == "success")
        #expect(runs.first?["trigger"] as? String == "cli", "the CLI says it is the CLI (X-Routines-Client)")
        let steps = try #require(runs.first?["steps"] as? [[String: Any]])
        #expect(steps.first?["kind"] as? String == "wait")
    }

    /// Global Swift jobs run on SwiftNIO's event loops (the daemon's global executor), not on
    /// libdispatch's workers (whose first worker starts a monitor that wakes the process every
    /// second for good) nor on a pool of threads beside the event loops.
    @Test func tasksRunOnTheEventLoopsNotOnLibdispatchWorkers() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": Self.waitOne])
        try daemon.start()
        for _ in 0..<5 { #expect(try daemon.cli(["trigger", "quick", "--wait"]).status == 0) }
        #expect(try daemon.cli(["status"]).status == 0)
        let pid = try #require(daemon.process?.processIdentifier)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).map { id in
            String(
                decoding: FileHandle(forReadingAtPath: "/proc/\(pid)/task/\(id)/comm")?.readDataToEndOfFile() ?? Data(),
                as: UTF8.self
            )
            .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(names.contains { $0.hasPrefix("NIO-SGLTN") }, "\(names)")
        #expect(!names.contains("routines-pool"), "\(names)")
        #expect(!names.contains { $0.hasSuffix("default-qos") }, "libdispatch workers: \(names)")
    }

    @Test func unknownRoutineIsAClearError() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": Self.waitOne])
        try daemon.start()
        let result = try daemon.cli(["trigger", "nope"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no routine named"))
    }

    /// `trigger`'s plain forms skip ArgumentParser (start-up time); every other form goes through
    /// it. Both give the same result, and bad input still gets ArgumentParser's messages.
    @Test func triggerFastPathAndArgumentParserAgree() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": Self.waitOne])
        try daemon.start()
        let fast = try CLI.run(["trigger", "--wait", "quick", "--socket=\(daemon.socket)"])
        #expect(fast.status == 0, "\(fast.stderr)")
        #expect(fast.stdout == "quick: success\n")
        // `--` is not a fast-path form: ArgumentParser parses this one.
        let parsed = try CLI.run(["trigger", "--wait", "--socket", daemon.socket, "--", "quick"])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        #expect(parsed.stdout == fast.stdout)
        #expect(try history(daemon, "quick").count == 2)

        let badName = try daemon.cli(["trigger", "Quick"])
        #expect(badName.status == 64)
        #expect(badName.stderr.contains("'Quick' is not a routine name"), "\(badName.stderr)")
        let extra = try daemon.cli(["trigger", "quick", "extra"])
        #expect(extra.status == 64)
        #expect(extra.stderr.contains("Unexpected argument 'extra'"), "\(extra.stderr)")
        let noName = try daemon.cli(["trigger", "--wait"])
        #expect(noName.status == 64)
        #expect(noName.stderr.contains("Missing expected argument '<name>'"), "\(noName.stderr)")
        let help = try CLI.run(["trigger", "quick", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: routines trigger <name>"), "\(help.stdout)")
        let unreachable = try CLI.run(["trigger", "quick", "--socket", daemon.socket + ".missing"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.hasPrefix("routines: "), "\(unreachable.stderr)")
        #expect(try history(daemon, "quick").count == 2, "no bad form started a run")
    }

    @Test func eventsStartMatchingRoutinesOnly() throws {
        let daemon = try DaemonProcess(routines: [
            "hp.json":
                #"{"triggers":[{"event":"device.connected","match":{"kind":["headphones","headset"]}}],"actions":[{"headphoneMode":"on"}]}"#,
            "other.json": #"{"triggers":[{"event":"door.opened"}],"actions":[{"wait":0}]}"#,
        ])
        try daemon.start()
        #expect(try daemon.cli(["event", "device.connected", "kind=phone"]).status == 0)
        #expect(try daemon.cli(["event", "device.connected", "kind=headset", "name=Buds"]).status == 0)
        try waitUntil("the hp routine ran") { try history(daemon, "hp").count == 1 }
        #expect(try history(daemon, "other").isEmpty)
        #expect(try daemon.cli(["headphones", "status"]).stdout.contains("on"))
        let runs = try history(daemon, "hp")
        #expect(runs.first?["trigger"] as? String == "event:device.connected via cli")
    }

    @Test func hotReloadAddEditBreakFixRenameDelete() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        // add
        try daemon.write("a.json", Self.waitOne)
        try waitUntil("a is loaded") { try routineNames(daemon)["a"] != nil }
        // edit: description changes
        try daemon.write("a.json", #"{"description":"v2","triggers":[{"event":"go"}],"actions":[{"wait":0}]}"#)
        try waitUntil("a's new version is loaded") { try routineNames(daemon)["a"]?["description"] as? String == "v2" }
        // break: the last valid version keeps running, the problem is reported
        try daemon.write("a.json", #"{"description":"v3","triggers":[],"actions":[{"wait":0}]}"#)
        try waitUntil("a's problem is reported") {
            ((try routineNames(daemon)["a"]?["problems"] as? [String]) ?? []).contains {
                $0.contains("triggers: must not be empty")
            }
        }
        #expect(try routineNames(daemon)["a"]?["description"] as? String == "v2")
        #expect(try daemon.cli(["trigger", "a", "--wait"]).status == 0)
        let status = try jsonObject(try daemon.cli(["status", "--json"]).stdout)
        let invalid = (status["routines"] as? [String: Any])?["invalid"] as? [[String: Any]]
        #expect(invalid?.count == 1)
        #expect(daemon.log.contains("keeping the last valid version"))
        // fix
        try daemon.write("a.json", #"{"description":"v4","triggers":[{"event":"go"}],"actions":[{"wait":0}]}"#)
        try waitUntil("a is fixed") {
            let row = try routineNames(daemon)["a"]
            return row?["description"] as? String == "v4" && (row?["problems"] as? [String])?.isEmpty == true
        }
        // rename
        #expect(rename(daemon.routines + "/a.json", daemon.routines + "/b.json") == 0)
        try waitUntil("a is renamed to b") {
            let names = try routineNames(daemon)
            return names["a"] == nil && names["b"] != nil
        }
        // delete
        #expect(unlink(daemon.routines + "/b.json") == 0)
        try waitUntil("b is gone") { try routineNames(daemon).isEmpty }
        // leftovers are ignored
        try "garbage".write(toFile: daemon.routines + "/c.json.swp", atomically: false, encoding: .utf8)
        try "garbage".write(toFile: daemon.routines + "/.c.json", atomically: false, encoding: .utf8)
        try daemon.write("d.json", Self.waitOne)
        try waitUntil("d is loaded") { try routineNames(daemon)["d"] != nil }
        #expect(try routineNames(daemon).count == 1)
    }

    @Test func unknownVoiceMakesTheRoutineInvalidWithSuggestions() throws {
        let daemon = try DaemonProcess(routines: [
            "talk.json": #"{"triggers":[{"event":"go"}],"actions":[{"announce":"Hallo","voice":"germn"}]}"#
        ])
        try daemon.start()
        let row = try #require(try routineNames(daemon)["talk"])
        #expect(row["valid"] as? Bool == false)
        let problems = (row["problems"] as? [String]) ?? []
        #expect(
            problems.contains {
                $0.contains("actions[0].voice") && $0.contains("unknown voice 'germn'") && $0.contains("did you mean")
            }, "\(problems)")
        #expect(try daemon.cli(["trigger", "talk"]).status != 0)
    }

    @Test func singleModeIgnoresASecondTriggerWhileRunning() throws {
        let daemon = try DaemonProcess(routines: [
            "slow.json": #"{"mode":"single","triggers":[{"event":"go"}],"actions":[{"wait":"2s"}]}"#
        ])
        try daemon.start()
        #expect(try daemon.cli(["trigger", "slow"]).status == 0)
        let second = try daemon.cli(["trigger", "slow"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("running"))
    }

    @Test func headphoneModeAndHistorySurviveKill9() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": Self.waitOne])
        try daemon.start()
        #expect(try daemon.cli(["headphones", "on"]).stdout.contains("on"))
        #expect(try daemon.cli(["trigger", "quick", "--wait"]).status == 0)
        #expect(try daemon.cli(["trigger", "quick", "--wait"]).status == 0)
        daemon.stop(kill: true)
        try daemon.start()
        #expect(try daemon.cli(["headphones", "status"]).stdout.contains("headphone mode: on"))
        #expect(try history(daemon, "quick").count == 2)
        #expect(try daemon.cli(["headphones", "toggle"]).stdout.contains("off"))
    }

    @Test func runKilledMidwayIsClosedAsInterrupted() throws {
        let daemon = try DaemonProcess(routines: [
            "slow.json": #"{"triggers":[{"event":"go"}],"actions":[{"wait":"30s"}]}"#
        ])
        try daemon.start()
        #expect(try daemon.cli(["trigger", "slow"]).status == 0)
        try waitUntil("the run is recorded") { try history(daemon, "slow").first?["outcome"] as? String == "running" }
        daemon.stop(kill: true)
        try daemon.start()
        let run = try #require(try history(daemon, "slow").first)
        #expect(run["outcome"] as? String == "interrupted")
        #expect(run["endedAt"] is String)
    }

    @Test func gracefulStopInterruptsRunsAndRemovesTheSocket() throws {
        let daemon = try DaemonProcess(routines: [
            "slow.json": #"{"triggers":[{"event":"go"}],"actions":[{"wait":"30s"}]}"#
        ])
        try daemon.start()
        #expect(try daemon.cli(["trigger", "slow"]).status == 0)
        try waitUntil("the run is recorded") { try history(daemon, "slow").first?["outcome"] as? String == "running" }
        daemon.stop()
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        try daemon.start()
        #expect(try history(daemon, "slow").first?["outcome"] as? String == "interrupted")
    }

    @Test func unreachableDaemonSaysSoInOneLine() throws {
        let dir = try TempDir()
        let result = try CLI.run(["status", "--socket", dir.path + "/none.sock"])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.contains("cannot reach the daemon at \(dir.path)/none.sock"))
    }

    /// A reply cut short (closed after part of its Content-Length) is an error: the CLI printed the
    /// part it had, a cut JSON array, and exited 0 (`routines history --json` under load, before
    /// the control server waited for its replies to go out).
    @Test func aReplyCutShortIsAnError() throws {
        let dir = try TempDir()
        let path = dir.path + "/cut.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8).prefix($0.count - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 1) == 0)
        // Reads the request's head, answers 9 of the 1000 bytes it announces, closes.
        Thread {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
                let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                request += buffer[0..<count]
            }
            let reply = Array(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{\"id\":1}".utf8)
            _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(connection)
        }.start()
        let result = try CLI.run(["history", "--json", "--socket", path])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        #expect(
            result.stderr.contains(
                "the daemon at \(path) closed the connection after 9 of the 1000 bytes of its reply"),
            "\(result.stderr)")
    }

    @Test func secondDaemonOnTheSameSocketRefusesToStart() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let second = try CLI.run([
            "daemon", "--routines", daemon.routines, "--state", daemon.dir.path + "/s2", "--socket", daemon.socket,
        ])
        #expect(second.status != 0)
        #expect(second.stderr.contains("already listening"))
    }

    @Test func socketIsPrivate() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func badConfigAndMissingFolderAreClearErrors() throws {
        let dir = try TempDir()
        let config = try dir.write("config.json", #"{"clock":"25h"}"#)
        let result = try CLI.run([
            "daemon", "--routines", dir.path, "--config", config, "--state", dir.path + "/s", "--socket",
            dir.path + "/x.sock",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(config): clock: unknown clock style '25h'"))
        let missing = try CLI.run([
            "daemon", "--routines", dir.path + "/nope", "--state", dir.path + "/s", "--socket", dir.path + "/x.sock",
        ])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("does not exist"))
    }
}
