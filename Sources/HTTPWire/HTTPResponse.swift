/// A response to encode and send; the reason phrase comes from a table of common statuses.
public struct HTTPResponse: Sendable, Equatable {
    /// Status code.
    public var status: Int
    /// Reason phrase for the status line.
    public var reason: String
    /// Header fields in the order to send.
    public var headers: [HTTPHeader]
    /// Body bytes.
    public var body: [UInt8]

    /// Creates a response; `reason` is looked up from `status`.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.reason = HTTPResponse.reasonPhrase(for: status)
        self.headers = headers.map { HTTPHeader(name: $0.0, value: $0.1) }
        self.body = body
    }

    /// The value of the first header with this name (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        headers.first { ASCII.caseInsensitiveEquals($0.name, name) }?.value
    }

    /// The wire bytes: status line, headers, Content-Length (unless 1xx, 204 or already present), body.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 32 + body.count)
        // RFC 9110 §8.6: no Content-Length in 1xx or 204 responses.
        let bodiless = status < 200 || status == 204
        writeHead(into: &out, extra: !bodiless && header("content-length") == nil ? "Content-Length: \(body.count)\r\n" : "")
        out.append(contentsOf: body)
        return out
    }

    /// The status line and headers of a response whose body follows in chunks
    /// (`Transfer-Encoding: chunked`), or until the connection closes for HTTP/1.0 clients.
    public func encodeStreamingHead(chunked: Bool) -> [UInt8] {
        var out: [UInt8] = []
        writeHead(into: &out, extra: chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n")
        return out
    }

    private func writeHead(into out: inout [UInt8], extra: String) {
        out.append(contentsOf: "HTTP/1.1 \(status) \(reason)\r\n".utf8)
        for field in headers {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: extra.utf8)
        out.append(contentsOf: "\r\n".utf8)
    }

    /// One chunk of a chunked body (empty `bytes` would end the body: use `lastChunk`).
    public static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(String(bytes.count, radix: 16).utf8)
        out.reserveCapacity(out.count + bytes.count + 4)
        out.append(contentsOf: [13, 10])
        out.append(contentsOf: bytes)
        out.append(contentsOf: [13, 10])
        return out
    }

    /// The end of a chunked body.
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// JSON error answer `{"error":"<message>","status":<code>}` with Content-Type application/json
    /// and Connection: close; the message is JSON-escaped.
    public static func jsonError(status: Int, message: String, headers: [(String, String)] = []) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(message.utf8.count + 32)
        body.append(contentsOf: #"{"error":""#.utf8)
        appendJSONEscaped(message, to: &body)
        body.append(contentsOf: #"","status":\#(status)}"#.utf8)
        let fixed = [("Content-Type", "application/json"), ("Connection", "close")]
        return HTTPResponse(status: status, headers: fixed + headers, body: body)
    }

    /// Escapes `"`, `\` and control characters (RFC 8259 §7); other UTF-8 passes through.
    static func appendJSONEscaped(_ text: String, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
    }

    /// Reason phrases from RFC 9110 §15 (plus 426/429/431 from their RFCs).
    static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 426: "Upgrade Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default:
            switch status {
            case 100..<200: "Informational"
            case 200..<300: "Success"
            case 300..<400: "Redirection"
            case 400..<500: "Client Error"
            default: "Server Error"
            }
        }
    }
}
