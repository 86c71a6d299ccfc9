/// A request the API refuses or could not carry out, by kind; each kind has its HTTP status, and
/// every front end (HTTP, the CLI's messages, the MQTT bridge's log) reads the kind, never the text.
public enum APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400: a malformed body or parameter (not JSON, an unknown key, a value out of range).
    case badRequest(String)
    /// 401: the TCP listener's bearer token is missing or wrong.
    case unauthorized(String)
    /// 404: no such route, routine or run.
    case notFound(String)
    /// 405: the path exists, not with this method; `allowed` goes into the `Allow` header.
    case methodNotAllowed(String, allowed: [APIMethod])
    /// 409: the routine's run mode or state refuses (running `single`, disabled, an invalid file,
    /// headphone mode without a second output).
    case conflict(String)
    /// 413: a body larger than the limit.
    case payloadTooLarge(String)
    /// 500: the daemon could not do it.
    case failed(String)

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .unauthorized: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .conflict: return 409
        case .payloadTooLarge: return 413
        case .failed: return 500
        }
    }

    /// What is wrong and what to do.
    public var message: String {
        switch self {
        case .badRequest(let message), .unauthorized(let message), .notFound(let message),
            .methodNotAllowed(let message, _), .conflict(let message), .payloadTooLarge(let message),
            .failed(let message):
            return message
        }
    }

    public var description: String { message }

    /// The error as a reply: `{"error": MESSAGE}` with the status (and `Allow` on a 405).
    public var response: APIResponse {
        var response = APIResponse.error(status, message)
        if case .methodNotAllowed(_, let allowed) = self {
            response.headers["Allow"] = allowed.map(\.rawValue).joined(separator: ", ")
        }
        return response
    }
}
