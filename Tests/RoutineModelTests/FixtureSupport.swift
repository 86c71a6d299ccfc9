import Foundation
import RoutineModel

/// Access to the fixture files copied into the test bundle.
enum Fixtures {
    static var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static func files(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(
            at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "json" && $0.lastPathComponent != "expectations.json" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        Array(try Data(contentsOf: url))
    }

    /// What an invalid fixture must produce: a JSON path (or line/column for syntax errors) and a fragment.
    struct Expectation: Decodable {
        var path: String?
        var line: Int?
        var column: Int?
        var message: String
    }

    static func expectations(_ folder: String) throws -> [String: Expectation] {
        let data = try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent("expectations.json"))
        return try JSONDecoder().decode([String: Expectation].self, from: data)
    }

    /// Decodes a routine fixture under its own file name.
    static func decodeRoutine(_ url: URL, config: Config? = nil) throws -> DecodeResult<Routine> {
        RoutineDecoder.decode(try bytes(url), file: url.lastPathComponent, config: config)
    }
}
