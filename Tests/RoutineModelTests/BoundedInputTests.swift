import Foundation
import RoutineFiles
import Testing

@testable import RoutineModel

/// Issue 13's defects in the routine format, one test each, named after the defect.
@Suite struct BoundedInputTests {
    static func decode(_ text: String, file: String = "x.json") -> DecodeResult<Routine> {
        RoutineDecoder.decode(Array(text.utf8), file: file)
    }

    /// "Did you mean" had no cost bound: a 10 MB unknown key took 56 s and was logged whole. The
    /// largest key a 1 MiB file can hold now costs one length check per candidate, and the message
    /// and path are cut.
    @Test func didYouMeanHasNoCostBound() {
        let key = String(repeating: "k", count: InputLimits.maxFileBytes - 200)
        let text = "{\"\(key)\": 1, \"triggers\": [{\"startup\": true}], \"actions\": [{\"wait\": \"1s\"}]}"
        // CPU time of this thread, so a loaded machine does not make the bound flaky (the defect cost
        // about 5 s of CPU for a key this size; now it is a few ms in a release build).
        let start = Self.threadCPUSeconds()
        let result = Self.decode(text)
        let cpu = Self.threadCPUSeconds() - start
        #expect(cpu < 1, "took \(cpu) s of CPU")
        let error = result.errors.first
        #expect(error?.message.contains("unknown key") == true)
        #expect(
            (error?.description.count ?? .max) < 700, "the message is cut: \(error?.description.count ?? 0) characters")
        #expect(error?.message.contains("characters cut") == true)
    }

    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    @Test func suggestionsOnlyForSimilarLengths() {
        #expect(Suggestions.closest(to: "trigers", in: RoutineDecoder.routineKeys) == "triggers")
        #expect(Suggestions.closest(to: "actionsactionsactions", in: RoutineDecoder.routineKeys) == nil)
        #expect(Suggestions.closest(to: String(repeating: "a", count: 65), in: ["a"]) == nil)
        // The prefix rule still helps with short forms.
        #expect(Suggestions.closest(to: "desc", in: RoutineDecoder.routineKeys) == "description")
    }

    /// A key with a NUL printed "unknown key 'triggers'; did you mean 'triggers'?".
    @Test func nulInAKeyIsNamedAsSuch() {
        let result = Self.decode(
            #"{"triggers\u0000": [], "triggers": [{"startup": true}], "actions": [{"wait": "1s"}]}"#)
        #expect(result.value == nil)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.path == "triggers\\u0000")
        #expect(result.errors.first?.message.contains("NUL character") == true)
        #expect(result.errors.first?.message.contains("did you mean") == false)
    }

    /// A play path "chime.wav\u0000x" passed validation and was cut at the NUL.
    @Test func nulInAPlayPathIsAnError() {
        let result = Self.decode(#"{"triggers": [{"startup": true}], "actions": [{"play": "chime.wav\u0000x"}]}"#)
        #expect(result.value == nil)
        #expect(result.errors.map(\.path) == ["actions[0].play"])
        #expect(result.errors.first?.message.contains("NUL character (\\u0000)") == true)
    }

    @Test func nulInAConfigStringNamesTheField() {
        let result = ConfigDecoder.decode(
            Array(#"{"outputs": {"speakers": {"pcm": "de\u0000fault"}}}"#.utf8), file: "c.json")
        #expect(result.value == nil)
        #expect(result.errors.map(\.path) == ["outputs.speakers.pcm"])
    }

    /// `0 0 30 2 *` validated silently and never fired.
    @Test func cronThatNeverFiresValidatesSilently() {
        for never in ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 2 *"] {
            let result = Self.decode(#"{"triggers": [{"cron": "\#(never)"}], "actions": [{"wait": "1s"}]}"#)
            #expect(result.value == nil, "\(never)")
            #expect(result.errors.first?.path == "triggers[0].cron")
            #expect(result.errors.first?.message.contains("never fires") == true)
        }
        // 29 February comes in leap years; both day fields restricted means either matches.
        for fires in ["0 0 29 2 *", "0 0 30 2 mon", "0 0 31 * *"] {
            let result = Self.decode(#"{"triggers": [{"cron": "\#(fires)"}], "actions": [{"wait": "1s"}]}"#)
            #expect(result.value != nil, "\(fires): \(result.errors)")
        }
        // An `at` always has a fire: its only filter, `days`, may not be empty.
        let at = Self.decode(#"{"triggers": [{"at": "07:00", "days": []}], "actions": [{"wait": "1s"}]}"#)
        #expect(at.errors.first?.path == "triggers[0].days")
    }

    /// 1,000 `every: "1s"` triggers in one file were accepted.
    @Test func thousandTriggersInOneFileAreAccepted() {
        let many = Array(repeating: #"{"every": "1s"}"#, count: 1000).joined(separator: ",")
        let result = Self.decode(#"{"triggers": [\#(many)], "actions": [{"wait": "1s"}]}"#)
        #expect(result.value == nil)
        #expect(result.errors.map(\.path) == ["triggers"])
        #expect(result.errors.first?.message.contains("at most 64") == true)
        let actions = Array(repeating: #"{"wait": "1s"}"#, count: 65).joined(separator: ",")
        #expect(
            Self.decode(#"{"triggers": [{"startup": true}], "actions": [\#(actions)]}"#).errors.map(\.path) == [
                "actions"
            ])
        let exactly = Array(repeating: #"{"every": "1s"}"#, count: 64).joined(separator: ",")
        #expect(Self.decode(#"{"triggers": [\#(exactly)], "actions": [{"wait": "1s"}]}"#).value?.triggers.count == 64)
    }

    @Test func filesOverOneMebibyteAreRefusedBeforeParsing() {
        let bytes = [UInt8](repeating: UInt8(ascii: " "), count: InputLimits.maxFileBytes + 1)
        let result = RoutineDecoder.decode(bytes, file: "big.json")
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.message.contains("larger than 1 MiB") == true)
        #expect(ConfigDecoder.decode(bytes, file: "c.json").errors.first?.message.contains("larger than 1 MiB") == true)
    }
}

/// `validate` read anything: a FIFO named x.json blocked it, a link to /dev/zero grew it to gigabytes.
@Suite struct InputFileTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "input-file-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func problem(_ path: String) -> InputFile.Problem? {
        if case .failure(let problem) = InputFile.read(path) { return problem }
        return nil
    }

    @Test func validateReadsAnything() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/x.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let start = ContinuousClock.now
        #expect(
            problem(fifo)
                == InputFile.Problem(
                    kind: .refused,
                    message: "it is a FIFO (named pipe), not a regular file; only regular files are read"))
        #expect(ContinuousClock.now - start < .seconds(1))

        let zero = folder + "/zero.json"
        try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
        #expect(problem(zero)?.message.hasPrefix("it is a character device") == true)

        let directory = folder + "/dir.json"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(problem(directory)?.message.hasPrefix("it is a directory") == true)

        let big = folder + "/big.json"
        _ = FileManager.default.createFile(atPath: big, contents: Data(count: InputLimits.maxFileBytes + 1))
        #expect(problem(big)?.kind == .refused)
        #expect(problem(big)?.message.contains("larger than 1 MiB") == true)

        #expect(problem(folder + "/none.json")?.kind == .missing)

        let good = folder + "/good.json"
        _ = FileManager.default.createFile(atPath: good, contents: Data("{}".utf8))
        #expect(try InputFile.read(good).get() == Array("{}".utf8))
    }
}

/// The inputs in fuzz/regressions (the probe's hostile files and anything the fuzzers found) are
/// refused with bounded messages in the normal test run too, not only by fuzz/run.sh.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/regressions")

    static func inputs(_ target: String) -> [URL] {
        let folder = root.appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func thereAreRegressionInputs() {
        #expect(Self.inputs("routine").count >= 5)
        #expect(Self.inputs("config").count >= 1)
    }

    @Test(arguments: inputs("routine") + inputs("config"))
    func regressionInputIsRefusedWithBoundedMessages(_ url: URL) throws {
        let bytes = Array(try Data(contentsOf: url))
        let isConfig = url.deletingLastPathComponent().lastPathComponent == "config"
        let diagnostics =
            isConfig
            ? ConfigDecoder.decode(bytes, file: url.lastPathComponent).diagnostics
            : RoutineDecoder.decode(bytes, file: url.lastPathComponent).diagnostics
        #expect(diagnostics.contains { $0.severity == .error })
        for diagnostic in diagnostics {
            #expect(diagnostic.description.count < 700, "\(diagnostic.description.prefix(200))")
        }
    }
}
