/// Size limits the request parser enforces as soon as each quantity is known.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, excluding its line terminator (else 414).
    public var maxRequestLineBytes: Int
    /// Most header fields per request (else 431).
    public var maxHeaderCount: Int
    /// Largest head: request line through the empty line, line terminators included (else 431).
    public var maxHeaderBytes: Int
    /// Largest Content-Length accepted (else 413).
    public var maxBodyBytes: Int

    /// Creates limits; the defaults suit an API and admin endpoint.
    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderCount: Int = 64,
        maxHeaderBytes: Int = 16384,
        maxBodyBytes: Int = 1 << 20
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// A request the parser refuses, with the status code to answer it with.
///
/// 400 malformed, 413 body too large, 414 request line too long, 431 header section too large or
/// too many fields, 501 a Transfer-Encoding other than chunked, 505 HTTP version other than 1.0 or 1.1.
public struct HTTPParseError: Error, Sendable, Equatable {
    /// The HTTP status code that describes the failure.
    public let status: Int
    /// A short human-readable explanation, safe to send to the client.
    public let message: String

    /// Creates an error.
    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    static let requestLineTooLong = HTTPParseError(status: 414, message: "request line too long")
    static let headerSectionTooLarge = HTTPParseError(status: 431, message: "header section too large")
    static let tooManyHeaders = HTTPParseError(status: 431, message: "too many header fields")
    static let bodyTooLarge = HTTPParseError(status: 413, message: "request body too large")
    static let transferEncoding = HTTPParseError(status: 501, message: "Transfer-Encoding other than chunked is not supported")
    static let lengthAndChunked = HTTPParseError(status: 400, message: "both Content-Length and Transfer-Encoding")
    static let invalidChunk = HTTPParseError(status: 400, message: "malformed chunked body")
    static let versionNotSupported = HTTPParseError(status: 505, message: "HTTP version not supported")
    static let malformedRequestLine = HTTPParseError(status: 400, message: "malformed request line")
    static let invalidFieldName = HTTPParseError(status: 400, message: "invalid header field name")
    static let obsoleteLineFolding = HTTPParseError(status: 400, message: "obsolete line folding is not allowed")
    static let invalidFieldValue = HTTPParseError(status: 400, message: "invalid character in header field value")
    static let invalidContentLength = HTTPParseError(status: 400, message: "invalid Content-Length")
}
