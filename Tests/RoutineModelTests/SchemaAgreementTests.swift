import Foundation
import Testing

@testable import RoutineModel

/// The JSON Schemas in `schema/` and the Swift decoder agree on every fixture.
@Suite struct SchemaAgreementTests {
    /// Invalid fixtures whose problem a JSON Schema cannot express (cross-field and semantic checks),
    /// with the reason; every other invalid fixture must fail the schema too.
    static let beyondSchema: [String: String] = [
        "cron-backwards-range.json": "cron ranges are checked by the cron parser, not a pattern",
        "cron-bad-name.json": "cron month/weekday names inside ranges are checked by the cron parser",
        "cron-bad-step.json": "a zero step is checked by the cron parser",
        "cron-out-of-range.json": "per-field cron ranges are checked by the cron parser",
        "duplicate-trigger-id.json": "uniqueness of a property across array items",
        "every-zero.json": "a duration string's value is not comparable in a schema",
        "publish-bad-placeholder.json":
            "placeholders in the strings of a payload of any JSON shape are checked by the decoder",
        "run-itself.json": "depends on the file name",
        "tone-fade-too-long.json": "compares two durations",
        "unknown-timezone.json": "depends on the installed tz database",
        "config/leadin-too-long.json": "a duration string's value is not comparable in a schema",
        "config/bad-timezone.json": "depends on the installed tz database",
        "config/default-output-unknown.json": "refers to keys of another object",
        "config/speech-default-unknown.json": "refers to keys of another object",
        "config/speech-bad-port.json": "a port's range is not a pattern",
    ]

    /// Runs Debian's python3 with jsonschema once over a list of (schema, file) pairs; returns the
    /// files that validate.
    static func schemaValid(_ pairs: [(schema: String, file: String)]) throws -> Set<String> {
        let script = """
            import json, sys, jsonschema
            pairs = json.load(sys.stdin)
            validators = {}
            ok = []
            for schema, path in pairs:
                if schema not in validators:
                    s = json.load(open(schema))
                    jsonschema.Draft202012Validator.check_schema(s)
                    validators[schema] = jsonschema.Draft202012Validator(s)
                try:
                    doc = json.load(open(path))
                except Exception:
                    continue
                if validators[schema].is_valid(doc):
                    ok.append(path)
            json.dump(ok, sys.stdout)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let request = try JSONSerialization.data(withJSONObject: pairs.map { [$0.schema, $0.file] })
        input.fileHandleForWriting.write(request)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SchemaCheckFailed(message: "python3 jsonschema failed: \(stderr)")
        }
        return Set(try JSONDecoder().decode([String].self, from: data))
    }

    struct SchemaCheckFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static var schemaFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schema").path
    }

    @Test func schemaAndDecoderAgree() throws {
        let routineSchema = Self.schemaFolder + "/routine.schema.json"
        let configSchema = Self.schemaFolder + "/config.schema.json"
        var pairs: [(schema: String, file: String)] = []
        var decoderValid: [String: Bool] = [:]
        var names: [String: String] = [:]
        for folder in ["valid", "invalid"] {
            for url in try Fixtures.files(folder) {
                pairs.append((routineSchema, url.path))
                decoderValid[url.path] = try Fixtures.decodeRoutine(url).value != nil
                names[url.path] = url.lastPathComponent
            }
        }
        for folder in ["config/valid", "config/invalid"] {
            for url in try Fixtures.files(folder) {
                pairs.append((configSchema, url.path))
                decoderValid[url.path] = ConfigDecoder.decode(try Fixtures.bytes(url), file: url.path).value != nil
                names[url.path] = (folder.hasPrefix("config") ? "config/" : "") + url.lastPathComponent
            }
        }
        let schemaValid = try Self.schemaValid(pairs)
        #expect(pairs.count > 80)
        var exceptionsUsed: Set<String> = []
        for (path, valid) in decoderValid {
            let name = names[path] ?? path
            let bySchema = schemaValid.contains(path)
            if valid {
                #expect(bySchema, "\(name): valid for the decoder but rejected by the schema")
            } else if let reason = Self.beyondSchema[name] {
                exceptionsUsed.insert(name)
                #expect(
                    bySchema,
                    "\(name) is listed as beyond the schema (\(reason)) but the schema rejects it: remove it from the list"
                )
            } else {
                #expect(!bySchema, "\(name): rejected by the decoder but valid for the schema")
            }
        }
        #expect(exceptionsUsed == Set(Self.beyondSchema.keys), "every listed exception is a real fixture")
    }
}
