import ControlAPI
import FoundationEssentials
import Testing

/// docs/openapi.yaml describes exactly the routes of the route table: a route added to one and not
/// the other fails here, both ways.
@Suite struct OpenAPIDocumentTests {
    static let documentPath =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// `METHOD /path` for each operation under `paths:` (block YAML: a path key indented by 2 spaces,
    /// its methods by 4), and the problems of a document that is not laid out so.
    static func operations(_ text: String) -> (operations: [String], problems: [String]) {
        var operations: [String] = []
        var problems: [String] = []
        var inPaths = false
        var path: String?
        var paths: Set<String> = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indent = line.count - trimmed.count
            if indent == 0 {
                inPaths = trimmed == "paths:"
                continue
            }
            guard inPaths else { continue }
            if indent == 2 {
                guard trimmed.hasPrefix("/"), trimmed.hasSuffix(":") else {
                    problems.append("line \(index + 1): expected a path key, got '\(trimmed)'")
                    continue
                }
                let key = String(trimmed.dropLast())
                if !paths.insert(key).inserted { problems.append("line \(index + 1): \(key) twice") }
                path = key
            } else if indent == 4, let colon = trimmed.firstIndex(of: ":") {
                let key = String(trimmed[..<colon])
                if methods.contains(key), let path { operations.append("\(key.uppercased()) \(path)") }
            }
        }
        return (operations, problems)
    }

    @Test func documentAndRouteTableAgree() throws {
        let text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        let (documented, problems) = Self.operations(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(documented.count == Set(documented).count, "an operation twice: \(documented)")
        let routes = APIRoutes.all.map { "\($0.method.rawValue) \($0.path)" }
        let missing = Set(routes).subtracting(documented)
        let extra = Set(documented).subtracting(routes)
        #expect(missing.isEmpty, "routes docs/openapi.yaml does not describe: \(missing.sorted())")
        #expect(extra.isEmpty, "docs/openapi.yaml describes routes the daemon does not have: \(extra.sorted())")
        #expect(documented.count == 16)
    }

    /// The reader of the document sees a route removed from it, or one it does not know.
    @Test func theCheckSeesADifference() {
        let document = """
            openapi: 3.1.0
            paths:
              /status:
                get:
                  summary: x
              /headphones:
                parameters: []
                get: { summary: x }
                put:
                  summary: y
            components:
              schemas:
                /notapath:
                  get: {}
            """
        #expect(Self.operations(document).operations == ["GET /status", "GET /headphones", "PUT /headphones"])
        #expect(Self.operations("paths:\n  status:\n    get: {}\n").problems.count == 1)
    }
}
