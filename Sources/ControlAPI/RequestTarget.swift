/// The control API's own parsing of a request, apart from NIO's HTTP/1.1 codec: the request target
/// (path segments and query) and the bearer token. Kept free of NIO so the fuzz target
/// (fuzz/requests) compiles it alone.
public enum RequestTarget {
    /// Splits a target such as `/routines/good%20morning/trigger?x=1` into decoded segments and query;
    /// nil when it does not start with `/`, has a bad escape, or is not UTF-8 once decoded.
    public static func parse(_ target: String) -> (segments: [String], query: [String: String])? {
        guard target.hasPrefix("/") else { return nil }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var segments: [String] = []
        for raw in parts[0].split(separator: "/") {
            guard let decoded = percentDecode(raw) else { return nil }
            segments.append(decoded)
        }
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = percentDecode(kv[0]), let value = percentDecode(kv.count > 1 ? kv[1] : "")
                else { return nil }
                query[key] = value
            }
        }
        return (segments, query)
    }

    /// `%XX` and `+` decoded; nil for a bad escape, invalid UTF-8 or a NUL.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        // A NUL would be cut by the C calls names end up in.
        if bytes.contains(0) { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// The TCP listener's bearer token check.
public enum BearerToken {
    /// Whether an `Authorization` header value carries `token`. The scheme is case-insensitive
    /// (RFC 9110 §11.1); the token is compared in constant time.
    public static func matches(_ header: String?, token: String) -> Bool {
        guard let header else { return false }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        // Letters in either case; the space itself exactly (`| 0x20` alone would take a NUL for it,
        // as the fuzzer found).
        guard bytes.count > scheme.count,
            zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 == $1 || ($1 != 0x20 && $0 | 0x20 == $1) })
        else { return false }
        var start = scheme.count
        while start < bytes.count && bytes[start] == UInt8(ascii: " ") { start += 1 }
        let given = bytes[start...]
        let expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[given.startIndex + index] : 0)
        }
        return difference == 0
    }
}
