import RoutineModel

/// The methods the API answers to.
public enum APIMethod: String, Sendable, CaseIterable, Codable {
    case get = "GET"
    case put = "PUT"
    case post = "POST"
}

/// What a route's handler gets: the path's parameters, the query, the body and who asked.
public struct RouteCall: Sendable {
    public var parameters: [String: String]
    public var query: [String: String]
    public var body: [UInt8]
    public var source: String

    /// The `{name}` of the path.
    var name: String { parameters["name"] ?? "" }

    /// A whole-number query parameter in `range`, or `fallback` when absent.
    func number(_ key: String, in range: ClosedRange<Int>, default fallback: Int) throws(APIError) -> Int {
        guard let text = query[key] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest(
                "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// The body decoded as `type`; none (empty) is nil.
    func decodedBody<Body: RequestBody>(_ type: Body.Type) throws(APIError) -> Body? {
        body.isEmpty ? nil : try Body.decode(body)
    }
}

/// One route: a method, a path pattern (`{name}` stands for one segment) and its handler, which
/// decodes the request, calls one operation and encodes its reply.
public struct APIRoute: Sendable {
    public let method: APIMethod
    /// The pattern as docs/openapi.yaml writes it: `/routines/{name}/trigger`.
    public let path: String
    let segments: [String]
    let handle: @Sendable (any ControlOperations, RouteCall) async throws -> APIResponse

    init(
        _ method: APIMethod, _ path: String,
        _ handle: @escaping @Sendable (any ControlOperations, RouteCall) async throws -> APIResponse
    ) {
        self.method = method
        self.path = path
        segments = path.split(separator: "/").map(String.init)
        self.handle = handle
    }

    /// The path's parameters when `segments` match the pattern.
    func match(_ request: [String]) -> [String: String]? {
        guard request.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (pattern, segment) in zip(segments, request) {
            if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                parameters[String(pattern.dropFirst().dropLast())] = segment
            } else if pattern != segment {
                return nil
            }
        }
        return parameters
    }
}

/// The route table: every route of the control API, once (SPEC §8, docs/api.md, docs/openapi.yaml).
public enum APIRoutes {
    public static let all: [APIRoute] = [
        APIRoute(.get, "/status") { api, _ in .json(200, encoding: try await api.status()) },
        APIRoute(.get, "/routines") { api, _ in .json(200, encoding: try await api.routines()) },
        APIRoute(.get, "/routines/{name}") { api, call in .json(200, encoding: try await api.routine(call.name)) },
        APIRoute(.post, "/routines/{name}/trigger") { api, call in
            let request = try call.decodedBody(TriggerRequest.self) ?? TriggerRequest()
            let reply = try await api.trigger(call.name, request, source: call.source)
            return .json(reply.started ? 202 : 200, encoding: reply)
        },
        APIRoute(.post, "/routines/{name}/stop") { api, call in
            _ = try call.decodedBody(EmptyBody.self)
            return .json(200, encoding: try await api.stop(call.name))
        },
        APIRoute(.post, "/routines/{name}/enable") { api, call in
            _ = try call.decodedBody(EmptyBody.self)
            return .json(200, encoding: try await api.setEnabled(call.name, true))
        },
        APIRoute(.post, "/routines/{name}/disable") { api, call in
            _ = try call.decodedBody(EmptyBody.self)
            return .json(200, encoding: try await api.setEnabled(call.name, false))
        },
        APIRoute(.post, "/stop") { api, call in
            _ = try call.decodedBody(EmptyBody.self)
            return .json(200, encoding: try await api.stopAll())
        },
        APIRoute(.post, "/events/{name}") { api, call in
            let data = try EventData.decode(call.body, what: "event data")
            return .json(202, encoding: try await api.raise(call.name, data: data, source: call.source))
        },
        APIRoute(.get, "/headphones") { api, _ in .json(200, encoding: try await api.headphones()) },
        APIRoute(.put, "/headphones") { api, call in
            .json(200, encoding: try await api.setHeadphones(try HeadphonesRequest.decode(call.body)))
        },
        APIRoute(.get, "/next") { api, call in
            let count = try call.number("count", in: 1...10_000, default: 10)
            return .json(200, encoding: try await api.next(routine: call.query["routine"], count: count))
        },
        APIRoute(.get, "/history") { api, call in
            let limit = try call.number("limit", in: 1...10_000, default: 20)
            return .json(200, encoding: try await api.history(routine: call.query["routine"], limit: limit))
        },
        APIRoute(.get, "/outputs") { api, _ in .json(200, encoding: try await api.outputs()) },
        APIRoute(.post, "/say") { api, call in .json(200, encoding: try await api.say(try SayRequest.decode(call.body)))
        },
        APIRoute(.get, "/metrics") { api, _ in
            APIResponse(
                status: 200, contentType: "text/plain; version=0.0.4", body: Array(try await api.metrics().utf8))
        },
    ]

    /// `GET /status, …, GET|PUT /headphones, …`: the routes for a 404's message.
    static var summary: String {
        var paths: [String] = []
        var methods: [String: [String]] = [:]
        for route in all {
            if methods[route.path] == nil { paths.append(route.path) }
            methods[route.path, default: []].append(route.method.rawValue)
        }
        return paths.map { "\(methods[$0]!.joined(separator: "|")) \($0)" }.joined(separator: ", ")
    }
}

/// Answers a request from the route table: 404 for a path no route has, 405 (with `Allow`) for a
/// method the path does not take, 413 for a body over the limit, else the route's reply or its
/// `APIError`. The HTTP server, the tests and anything else call this in the same way.
public struct APIRouter: ControlAPIHandler {
    public let operations: any ControlOperations
    /// Largest body read (64 KiB; the HTTP server refuses larger ones before reading them).
    public let maxBody: Int

    public init(operations: any ControlOperations, maxBody: Int = 64 * 1024) {
        self.operations = operations
        self.maxBody = maxBody
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let matches = APIRoutes.all.compactMap { route in route.match(request.segments).map { (route, $0) } }
        guard !matches.isEmpty else {
            return APIError.notFound("no route \(request.path); routes: \(APIRoutes.summary)").response
        }
        guard let match = matches.first(where: { $0.0.method.rawValue == request.method }) else {
            let allowed = matches.map(\.0.method)
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            return APIError.methodNotAllowed(
                "\(request.method) is not allowed on \(request.path) (allowed: \(names))", allowed: allowed
            ).response
        }
        guard request.body.count <= maxBody else {
            return APIError.payloadTooLarge("request body larger than \(maxBody / 1024) KiB").response
        }
        let call = RouteCall(parameters: match.1, query: request.query, body: request.body, source: request.source)
        do {
            return try await match.0.handle(operations, call)
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError.failed("\(error)").response
        }
    }
}
