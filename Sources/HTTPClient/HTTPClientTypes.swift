/// One HTTP request for `HTTPClient`.
public struct HTTPClientRequest: Sendable, Equatable {
    public var method: String
    /// `http://` or `https://` URL; other schemes are refused by libcurl.
    public var url: String
    /// Header fields to send (names as given). `Expect: 100-continue` is never sent.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The whole exchange (connect, send, wait, receive) must finish within this.
    public var timeoutMilliseconds: Int
    /// Connecting (DNS, TCP, TLS) must finish within this (capped by the total timeout).
    public var connectTimeoutMilliseconds: Int

    public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeoutMilliseconds: Int = 5_000, connectTimeoutMilliseconds: Int = 2_000) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }

    public static func == (a: HTTPClientRequest, b: HTTPClientRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body && a.timeoutMilliseconds == b.timeoutMilliseconds
            && a.connectTimeoutMilliseconds == b.connectTimeoutMilliseconds
            && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
    }
}

/// What the server answered (any status: deciding what a 500 means is the caller's job).
public struct HTTPClientResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Why a request got no response.
public enum HTTPClientError: Error, Sendable, Equatable {
    /// No complete response within the request's timeout.
    case timedOut
    /// The connection could not be made (refused, unreachable, DNS, TLS).
    case connectionFailed(String)
    /// The response body exceeded the client's `maxResponseBytes`.
    case responseTooLarge(Int)
    /// Any other transfer failure (libcurl's message).
    case transferFailed(String)
    /// The client was closed before the response arrived.
    case cancelled

    public var message: String {
        switch self {
        case .timedOut: "timed out"
        case .connectionFailed(let detail): "connection failed: \(detail)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .transferFailed(let detail): "transfer failed: \(detail)"
        case .cancelled: "cancelled"
        }
    }
}
