// libFuzzer entry point for the four fuzz targets (fuzz/run.sh builds this with
// `swiftc -sanitize=fuzzer,address`). The target is chosen by FUZZ_TARGET: routine, config, cron,
// request. Beyond "no crash, no hang", each target checks invariants the code promises.
import Foundation
import RoutineModel
import Schedule

enum FuzzTarget: String {
    case routine, config, cron, request
}

let target: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        fatalError("set FUZZ_TARGET to routine, config, cron or request")
    }
    return target
}()

let config: Config = {
    var config = Config()
    config.outputs["kitchen"] = OutputConfig(pcm: "default")
    return config
}()

/// Diagnostics are cut (issue 13: logged values are bounded, whatever the file holds).
func checkDiagnostics(_ diagnostics: [Diagnostic], valid: Bool) {
    for diagnostic in diagnostics {
        precondition(diagnostic.message.count <= InputLimits.maxMessageCharacters + 40, "message not cut")
        precondition((diagnostic.path ?? "").count <= 240, "path not cut")
    }
    precondition(valid == !diagnostics.contains { $0.severity == .error }, "a value with errors, or no value without")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch target {
    case .routine:
        let result = RoutineDecoder.decode(bytes, file: "fuzz.json", config: config)
        checkDiagnostics(result.diagnostics, valid: result.value != nil)
        if let routine = result.value {
            precondition(
                routine.triggers.count <= InputLimits.maxTriggers && routine.actions.count <= InputLimits.maxActions)
            // A valid cron trigger can fire: its next fires are found (and the search ends).
            for trigger in routine.triggers {
                if case .cron = trigger.kind, trigger.timezone == nil,
                    let schedule = try? TriggerSchedule(trigger: trigger, defaultTimeZone: "UTC", location: nil)
                {
                    precondition(
                        schedule.nextFire(after: Date(timeIntervalSince1970: 1_700_000_000)) != nil,
                        "valid cron never fires")
                }
            }
        }
    case .config:
        let result = ConfigDecoder.decode(bytes, file: "config.json")
        checkDiagnostics(result.diagnostics, valid: result.value != nil)
    case .cron:
        let text = String(decoding: bytes, as: UTF8.self)
        if let expression = try? CronExpression(parsing: text),
            let schedule = try? TriggerSchedule(
                trigger: Trigger(kind: .cron(expression)), defaultTimeZone: "Europe/Berlin", location: nil)
        {
            let fires = schedule.fires(after: Date(timeIntervalSince1970: 1_700_000_000), count: 3)
            // canFire (what validation uses) agrees with the search.
            precondition(expression.canFire == !fires.isEmpty, "canFire disagrees with the schedule for '\(text)'")
            precondition(zip(fires, fires.dropFirst()).allSatisfy { $0 < $1 }, "fires out of order")
        }
    case .request:
        fuzzRequest(bytes)
    }
    return 0
}

/// A raw request as NIO's decoder would hand its parts over: the target and the headers go through
/// the control API's own parsing (RequestTarget, BearerToken, the Content-Length rule). Split by hand
/// (no Foundation) so the target runs fast.
func fuzzRequest(_ bytes: [UInt8]) {
    var lines: [Substring] = []
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
        if line.isEmpty { break }  // end of the head
        lines.append(line)
    }
    guard !lines.isEmpty else { return }
    let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
    if requestLine.count >= 2, let (segments, query) = RequestTarget.parse(String(requestLine[1])) {
        for segment in segments { precondition(!segment.utf8.contains(0), "NUL in a segment") }
        for (key, value) in query { precondition(!key.utf8.contains(0) && !value.utf8.contains(0), "NUL in the query") }
    }
    for line in lines {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].lowercased()
        let value = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
        switch name {
        case "authorization":
            let token = "0123456789abcdef0123"
            // Only the scheme's case and the spaces after it may vary.
            if BearerToken.matches(value, token: token) {
                precondition(
                    value.lowercased().hasPrefix("bearer ") && value.hasSuffix(token), "a wrong token accepted")
            }
        case "content-length":
            if let length = Int(value) { _ = length > 64 * 1024 }
        default:
            break
        }
    }
}
