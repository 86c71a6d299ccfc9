import Foundation
import Testing

@testable import RoutineModel

@Suite struct DurationTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("2s", .seconds(2)), ("4m", .seconds(240)), ("1h30m", .seconds(5400)),
        ("1d", .seconds(86_400)), ("90", .seconds(90)), ("0.5", .milliseconds(500)), ("1.5s", .milliseconds(1500)),
        ("2h15m10s", .seconds(8110)), ("10min", .seconds(600)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "5 minutes", "5x", "30m1h", "1h1h", "-2s", "1e3", "..5s", "2S"])
    func rejects(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func negativeOnlyWhenAllowed() {
        #expect(DurationText.parse("-15m", allowNegative: true) == .seconds(-900))
        #expect(DurationText.parse("-15m") == nil)
    }

    @Test func formatsAsWritten() {
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.milliseconds(1500)) == "1.5s")
        #expect(DurationText.format(.seconds(240)) == "4m")
        #expect(DurationText.format(.zero) == "0s")
    }
}

@Suite struct RoutineFileNameTests {
    @Test func namesFromFiles() {
        #expect(RoutineFileName.routineName(forFileName: "good-morning.json") == "good-morning")
        #expect(RoutineFileName.routineName(forFileName: "a.b_c-1.json") == "a.b_c-1")
        #expect(RoutineFileName.routineName(forFileName: "Good.json") == nil)
        #expect(RoutineFileName.routineName(forFileName: "-x.json") == nil)
        #expect(RoutineFileName.routineName(forFileName: "x.yaml") == nil)
    }

    @Test(arguments: [".x.json", "x.json~", "x.json.swp", "x.tmp", ".#x.json", "x.json.tmp"])
    func editorLeftoversAreIgnored(_ name: String) {
        #expect(RoutineFileName.isIgnored(name))
        #expect(RoutineFileName.routineName(forFileName: name) == nil)
    }
}

@Suite struct CronParsingTests {
    @Test func fieldsBecomeBitSets() throws {
        let cron = try CronExpression(parsing: "*/15 9-17 1,15 jan-mar mon-fri")
        #expect(cron.minutes == (1 << 0 | 1 << 15 | 1 << 30 | 1 << 45))
        #expect(cron.hours == 0b11_1111_1110_0000_0000)
        #expect(cron.daysOfMonth == (1 << 1 | 1 << 15))
        #expect(cron.months == 0b1110)
        #expect(cron.daysOfWeek == 0b011_1110)
        #expect(cron.seconds == 1)
        #expect(cron.dayOfMonthRestricted && cron.dayOfWeekRestricted)
        #expect(!cron.hourIsFixed)
    }

    @Test func sixFieldsHaveSecondsFirst() throws {
        let cron = try CronExpression(parsing: "*/20 0 7 * * *")
        #expect(cron.seconds == (1 << 0 | 1 << 20 | 1 << 40))
        #expect(cron.hourIsFixed)
    }

    @Test func sundayIsZeroOrSeven() throws {
        #expect(try CronExpression(parsing: "0 0 * * 7").daysOfWeek == 1)
        #expect(try CronExpression(parsing: "0 0 * * sun").daysOfWeek == 1)
        #expect(try CronExpression(parsing: "0 0 * * 5-7").daysOfWeek == 0b110_0001)
    }

    @Test func macros() throws {
        #expect(try CronExpression(parsing: "@daily").hours == 1)
        #expect(try CronExpression(parsing: "@weekly").daysOfWeek == 1)
        #expect(try CronExpression(parsing: "@yearly").months == 0b10)
        #expect(try CronExpression(parsing: "@hourly").hours == 0xFF_FFFF)
    }

    @Test func starStepCountsAsUnrestrictedForTheDayRule() throws {
        let cron = try CronExpression(parsing: "0 0 */2 * mon")
        #expect(!cron.dayOfMonthRestricted)
        #expect(cron.dayOfWeekRestricted)
    }

    @Test(arguments: [
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("60 * * * *", "minute field: 60 is out of range 0-59"),
        ("0 0 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("0 0 * 13 *", "month field: 13 is out of range 1-12"),
        ("0 0 * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("* * * *", "found 4"),
        ("* * * * * * *", "found 7"),
        ("*/0 * * * *", "must be a positive number"),
        ("1,,2 * * * *", "empty list item"),
        ("0 0 * * tues", "did you mean 'tue'"),
        ("@sometimes", "unknown macro"),
        ("5-1 * * * *", "goes backwards"),
        ("0 0 * foo *", "not a number or a name"),
    ])
    func rejectsWithAClearMessage(_ text: String, _ fragment: String) {
        do {
            _ = try CronExpression(parsing: text)
            Issue.record("'\(text)' should not parse")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }
}

@Suite struct JSONParserTests {
    @Test func keepsPositionsAndOrder() throws {
        let node = try JSONParser.parse(Array("{\n  \"b\": 1,\n  \"a\": [true, null, \"x\\u00e9\"]\n}".utf8))
        guard case .object(let members) = node.value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a"])
        #expect(members[1].value.line == 3)
        #expect(members[1].value.column == 8)
        #expect(
            members[1].value.value
                == .array([
                    JSONNode(.bool(true), line: 3, column: 9), JSONNode(.null, line: 3, column: 15),
                    JSONNode(.string("xé"), line: 3, column: 21),
                ]))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "trailing comma"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("[1 2]", 1, 4, "expected ',' or ']'"),
        ("{\"a\": 01}", 1, 8, "leading zeros"),
        ("{\"a\": tru}", 1, 7, "expected a value"),
        ("\"abc", 1, 5, "unterminated string"),
        ("{} x", 1, 4, "after the end"),
        ("{\"a\": \"\\q\"}", 1, 8, "invalid escape"),
    ])
    func syntaxErrorsHavePositions(_ text: String, _ line: Int, _ column: Int, _ fragment: String) {
        do {
            _ = try JSONParser.parse(Array(text.utf8))
            Issue.record("'\(text)' should not parse")
        } catch {
            #expect(error.line == line && error.column == column, "\(error)")
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func deepNestingIsRejected() {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }
}

@Suite struct SuggestionTests {
    @Test func closeMatches() {
        #expect(Suggestions.closest(to: "gian", in: ["play", "gain", "output"]) == "gain")
        #expect(Suggestions.closest(to: "descripton", in: RoutineDecoder.routineKeys) == "description")
        #expect(Suggestions.closest(to: "xyz", in: ["play", "gain"]) == nil)
        #expect(Suggestions.hint(for: "xyz", in: ["a", "b"]) == "; allowed: a, b")
    }
}

/// The trimming FoundationEssentials lacks: white space as `CharacterSet.whitespacesAndNewlines`
/// counts it (Unicode White_Space), inside untouched.
@Suite struct TextTrimmingTests {
    @Test func trimsWhiteSpaceAtBothEndsOnly() {
        #expect("  token value \t\r\n".trimmingWhiteSpace() == "token value")
        #expect("\u{00A0}\u{2003}x\u{3000}\u{2028}".trimmingWhiteSpace() == "x")
        #expect(" \n\t ".trimmingWhiteSpace() == "")
        #expect("".trimmingWhiteSpace() == "")
        #expect("a b".trimmingWhiteSpace() == "a b")
        #expect("\u{200B}x\u{200B}\u{200C}".trimmingWhiteSpace() == "x\u{200B}\u{200C}")  // U+200B as Foundation
    }

    @Test func trimsWhatThePredicateSays() {
        #expect(" voice not found.\n".trimming { $0.isWhitespace || $0 == "." } == "voice not found")
        #expect("...".trimming { $0 == "." } == "")
        #expect("a.b".trimming { $0 == "." } == "a.b")
    }

    /// The same result as Foundation's `trimmingCharacters(in: .whitespacesAndNewlines)` for every
    /// scalar of the Basic Multilingual Plane around a letter.
    @Test func agreesWithFoundationOnEveryBMPScalar() {
        var differing: [UInt32] = []
        for value in UInt32(0)..<0x10000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "\(scalar)\(scalar)x\(scalar)"
            if text.trimmingWhiteSpace() != text.trimmingCharacters(in: .whitespacesAndNewlines) {
                differing.append(value)
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(20).map { String($0, radix: 16) })")
    }
}
