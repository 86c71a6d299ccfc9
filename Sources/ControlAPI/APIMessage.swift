import RoutineModel

/// One request to the control API, whatever carried it (HTTP on the socket or TCP, or a test calling
/// the route table directly): method, decoded path segments, query and body.
public struct APIRequest: Sendable {
    public var method: String
    /// Percent-decoded path segments: `/routines/good-morning/trigger` → ["routines", "good-morning", "trigger"].
    public var segments: [String]
    public var query: [String: String]
    public var body: [UInt8]
    /// Who asked, recorded with the runs the request starts: `api 192.168.1.5` on TCP (the peer's
    /// address), `cli` on the socket when the `routines` command says so (`X-Routines-Client: cli`),
    /// `mqtt` for the MQTT bridge, else `api`.
    public var source: String

    public init(
        method: String, segments: [String], query: [String: String] = [:], body: [UInt8] = [], source: String = "api"
    ) {
        self.method = method
        self.segments = segments
        self.query = query
        self.body = body
        self.source = source
    }

    /// A request for a target such as `/history?routine=a&limit=5`; nil when the target is malformed
    /// (see `RequestTarget.parse`).
    public init?(method: String, target: String, body: [UInt8] = [], source: String = "api") {
        guard let (segments, query) = RequestTarget.parse(target) else { return nil }
        self.init(method: method, segments: segments, query: query, body: body, source: source)
    }

    /// `/routines/good-morning/trigger` (decoded, without the query), for messages.
    public var path: String { "/" + segments.joined(separator: "/") }
}

/// A reply: status, content type, extra headers (`Allow` on a 405) and body.
public struct APIResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, contentType: String = "application/json", headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A reply value written by the API's one JSON writer (keys sorted, a newline at the end).
    public static func json(_ status: Int, encoding value: some Encodable) -> APIResponse {
        APIResponse(status: status, body: JSONText.encode(value) + [UInt8(ascii: "\n")])
    }

    /// `{"error": MESSAGE}` with the status; a message quoting a huge request value is cut.
    public static func error(_ status: Int, _ message: String) -> APIResponse {
        json(status, encoding: ErrorReply(error: InputLimits.cut(message)))
    }
}

/// Answers control API requests: the route table (`APIRouter`) in the daemon, a stand-in in tests
/// of the transport.
public protocol ControlAPIHandler: Sendable {
    func handle(_ request: APIRequest) async -> APIResponse
}
