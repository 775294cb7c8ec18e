/// One header field as received or to be sent; the name keeps its original case.
public struct HTTPHeader: Sendable, Equatable {
    /// Field name, compared case-insensitively by the lookup helpers.
    public var name: String
    /// Field value with surrounding whitespace removed.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The request line and header fields of an HTTP/1.x request.
public struct HTTPRequestHead: Sendable, Equatable {
    /// Request method, e.g. `GET` (case-sensitive per RFC 9110).
    public var method: String
    /// The raw request-target as it appeared on the request line.
    public var target: String
    /// The request-target up to the first `?`.
    public var path: String
    /// The part after the first `?`, or nil when the target has none.
    public var query: String?
    /// The minor version of HTTP/1.x (0 or 1).
    public var versionMinor: Int
    /// Header fields in the order received.
    public var headers: [HTTPHeader]

    /// Creates a head; `path` and `query` are derived from `target`.
    public init(method: String, target: String, versionMinor: Int = 1, headers: [HTTPHeader] = []) {
        self.method = method
        self.target = target
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            self.path = String(target[..<mark])
            self.query = String(target[target.index(after: mark)...])
        } else {
            self.path = target
            self.query = nil
        }
        self.versionMinor = versionMinor
        self.headers = headers
    }

    /// The value of the first header with this name (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        for field in headers where ASCII.caseInsensitiveEquals(field.name, name) {
            return field.value
        }
        return nil
    }

    /// Comma-separated tokens of every header with this name, trimmed and lowercased (for Connection, Upgrade).
    public func tokens(_ name: String) -> [String] {
        var result: [String] = []
        for field in headers where ASCII.caseInsensitiveEquals(field.name, name) {
            for token in ASCII.commaSeparated(field.value) {
                // HTTP tokens are ASCII: Unicode case mapping would let "websoc\u{212A}et" pass.
                result.append(String(decoding: token.utf8.map(ASCII.lower), as: UTF8.self))
            }
        }
        return result
    }

    /// Whether the connection stays open after this request (HTTP/1.1 unless `close`; HTTP/1.0 only with `keep-alive`).
    public var keepAlive: Bool {
        let connection = tokens("connection")
        if versionMinor >= 1 {
            return !connection.contains("close")
        }
        return connection.contains("keep-alive")
    }
}

/// A complete request: head plus the Content-Length body (empty when there is none).
public struct HTTPRequest: Sendable, Equatable {
    /// Request line and headers.
    public var head: HTTPRequestHead
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a request.
    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}

/// ASCII helpers shared by the parser and the header lookups; HTTP field names are ASCII tokens.
enum ASCII {
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    static func caseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        return x.elementsEqual(y) { lower($0) == lower($1) }
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    /// Splits a field value at commas, trims SP/HTAB around each element and drops empty ones.
    static func commaSeparated(_ value: String) -> [String] {
        var result: [String] = []
        for element in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            var slice = element[...]
            while let first = slice.first, isWhitespace(first) { slice = slice.dropFirst() }
            while let last = slice.last, isWhitespace(last) { slice = slice.dropLast() }
            if !slice.isEmpty {
                result.append(String(decoding: slice, as: UTF8.self))
            }
        }
        return result
    }

    /// tchar from RFC 9110 §5.6.2: the characters allowed in methods and field names.
    static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
