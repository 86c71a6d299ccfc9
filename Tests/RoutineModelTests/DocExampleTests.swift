import Foundation
import Testing

@testable import RoutineModel

/// Every JSON example in the README and docs/ is accepted as what it shows: configuration
/// examples by the config decoder, routine files by the routine decoder (so a reader can paste any
/// of them).
@Suite struct DocExampleTests {
    /// The repository's root folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The ```json blocks of a Markdown file, with their first line number.
    static func jsonBlocks(_ file: String) throws -> [(line: Int, text: String)] {
        let lines = try String(contentsOfFile: root + "/" + file, encoding: .utf8).components(separatedBy: "\n")
        var blocks: [(Int, String)] = []
        var current: [String]?
        var start = 0
        for (index, line) in lines.enumerated() {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```json" {
                current = []
                start = index + 2
            } else if current != nil, line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                blocks.append((start, current!.joined(separator: "\n")))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    static var documents: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// A block's top-level keys, when it is one JSON object.
    static func topLevelKeys(_ text: String) -> [String]? {
        guard let node = try? JSONParser.parse(Array(text.utf8)), case .object(let members) = node.value else {
            return nil
        }
        return members.map(\.key)
    }

    @Test func everyConfigExampleInTheDocsIsAccepted() throws {
        var checked = 0
        for document in Self.documents {
            for block in try Self.jsonBlocks(document) {
                guard let keys = Self.topLevelKeys(block.text), !keys.isEmpty,
                    keys.allSatisfy(ConfigDecoder.keys.contains), !keys.contains("$schema") || keys.count > 1
                else { continue }
                let result = ConfigDecoder.decode(Array(block.text.utf8), file: "\(document):\(block.line)")
                #expect(result.errors.isEmpty, "\(document) line \(block.line): \(result.errors.map(\.description))")
                checked += 1
            }
        }
        // The configuration reference, the guide's output config and its HTTP listener at least.
        #expect(checked >= 3, "found only \(checked) config examples")
    }

    @Test func everyRoutineExampleInTheDocsIsAccepted() throws {
        var checked = 0
        for document in Self.documents {
            for block in try Self.jsonBlocks(document) {
                guard let keys = Self.topLevelKeys(block.text), keys.contains("triggers") || keys.contains("actions")
                else { continue }
                let result = RoutineDecoder.decode(Array(block.text.utf8), file: "example.json", config: nil)
                #expect(result.errors.isEmpty, "\(document) line \(block.line): \(result.errors.map(\.description))")
                checked += 1
            }
        }
        #expect(checked >= 5, "found only \(checked) routine examples")
    }

    @Test func oneOutputIsEnoughAndHeadphoneModeThenHasNoOutput() throws {
        let one = ConfigDecoder.decode(Array(#"{"outputs": {"speakers": {"pcm": "default"}}}"#.utf8), file: "c.json")
        #expect(one.errors.isEmpty, "\(one.errors)")
        #expect(one.value?.defaultOutput == "speakers")
        #expect(one.value?.hasHeadphoneOutput == false)
        // A single output with another name becomes the default output.
        let renamed = ConfigDecoder.decode(Array(#"{"outputs": {"room": {"pcm": "default"}}}"#.utf8), file: "c.json")
        #expect(renamed.errors.isEmpty, "\(renamed.errors)")
        #expect(renamed.value?.defaultOutput == "room")
        #expect(renamed.value?.hasHeadphoneOutput == false)
        // Two outputs, the second not called "headphones": it is the headphone output.
        let two = ConfigDecoder.decode(
            Array(#"{"outputs": {"speakers": {"pcm": "default"}, "buds": {"pcm": "bluealsa"}}}"#.utf8), file: "c.json")
        #expect(two.errors.isEmpty, "\(two.errors)")
        #expect(two.value?.headphoneOutput == "buds")
        // Without a config both defaults exist.
        #expect(Config.defaults.hasHeadphoneOutput)
    }

    @Test func outputNamesThatCannotBeGuessedStillNeedTheKey() throws {
        let three = ConfigDecoder.decode(
            Array(#"{"outputs": {"a": {"pcm": "default"}, "b": {"pcm": "x"}, "c": {"pcm": "y"}}}"#.utf8), file: "c.json"
        )
        #expect(
            three.errors.map(\.description).contains {
                $0.contains(
                    "defaultOutput: is not set and defaults to 'speakers', which 'outputs' does not define; set it")
            }, "\(three.errors)")
        let named = ConfigDecoder.decode(
            Array(#"{"outputs": {"speakers": {"pcm": "default"}}, "headphoneOutput": "headphone"}"#.utf8),
            file: "c.json")
        #expect(named.errors.count == 1, "\(named.errors)")
        #expect(
            named.errors.first?.description.hasPrefix(
                "c.json: headphoneOutput: names the output 'headphone', which 'outputs' does not define") == true)
    }
}
