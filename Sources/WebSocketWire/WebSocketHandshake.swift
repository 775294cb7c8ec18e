public import HTTPWire

/// What the server accepts in an opening handshake.
public struct WebSocketHandshakePolicy: Sendable {
    /// Request paths (without query) that may be upgraded, e.g. `["/ws", "/stomp"]`.
    public var paths: [String]
    /// Origin patterns (see `WebSocketHandshake.originAllowed`); a request without Origin is always allowed.
    public var allowedOrigins: [String]
    /// Subprotocols in server preference order.
    public var subprotocols: [String]

    /// The STOMP subprotocols, newest first.
    public static let stompSubprotocols = ["v12.stomp", "v11.stomp", "v10.stomp"]

    /// Creates a policy.
    public init(paths: [String], allowedOrigins: [String], subprotocols: [String] = stompSubprotocols) {
        self.paths = paths
        self.allowedOrigins = allowedOrigins
        self.subprotocols = subprotocols
    }
}

/// The server side of the RFC 6455 opening handshake (§4.2).
public enum WebSocketHandshake {
    /// The decision on an upgrade request and the response to send.
    public enum Outcome: Sendable, Equatable {
        /// Send `response` (101), then speak WebSocket; `subprotocol` is the one chosen, if any.
        case accept(response: HTTPResponse, subprotocol: String?)
        /// Send this JSON error response and close.
        case reject(HTTPResponse)
    }

    /// RFC 6455 §1.3: the GUID appended to the client's key before hashing.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Checks an upgrade request against `policy`; `sha1` is injected so this module stays pure.
    ///
    /// Checked in order: path (404), method (405), Upgrade/Connection (426), version (426),
    /// key (400), origin (403).
    public static func evaluate(
        _ head: HTTPRequestHead,
        policy: WebSocketHandshakePolicy,
        sha1: ([UInt8]) -> [UInt8]
    ) -> Outcome {
        guard policy.paths.contains(head.path) else {
            return .reject(.jsonError(status: 404, message: "no WebSocket endpoint at this path"))
        }
        guard head.method == "GET" else {
            return .reject(.jsonError(status: 405, message: "WebSocket upgrade requires GET", headers: [("Allow", "GET")]))
        }
        guard head.tokens("upgrade").contains("websocket"), head.tokens("connection").contains("upgrade") else {
            return .reject(.jsonError(
                status: 426,
                message: "expected Upgrade: websocket and Connection: upgrade",
                headers: [("Upgrade", "websocket")]
            ))
        }
        guard trimmed(head.header("sec-websocket-version")) == "13" else {
            return .reject(.jsonError(
                status: 426,
                message: "unsupported Sec-WebSocket-Version, expected 13",
                headers: [("Sec-WebSocket-Version", "13")]
            ))
        }
        guard let key = trimmed(head.header("sec-websocket-key")), Base64.decode(key)?.count == 16 else {
            return .reject(.jsonError(status: 400, message: "missing or invalid Sec-WebSocket-Key"))
        }
        // Browsers send the page's origin (http, https, null, file…), never a ws:/wss: one; such an
        // Origin comes from a non-browser client (swift-websocket's client sends the server's own
        // URL), which is treated like a request without Origin.
        if let origin = head.header("origin"), !Self.isNonBrowserOrigin(origin), !originAllowed(origin, patterns: policy.allowedOrigins) {
            return .reject(.jsonError(status: 403, message: "origin not allowed"))
        }

        let offered = offeredSubprotocols(head)
        let chosen = policy.subprotocols.first { offered.contains($0) }
        var headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", acceptKey(for: key, sha1: sha1)),
        ]
        if let chosen { headers.append(("Sec-WebSocket-Protocol", chosen)) }
        return .accept(response: HTTPResponse(status: 101, headers: headers), subprotocol: chosen)
    }

    /// base64(sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 §4.2.2.
    public static func acceptKey(for key: String, sha1: ([UInt8]) -> [UInt8]) -> String {
        Base64.encode(sha1(Array((key + acceptGUID).utf8)))
    }

    /// Subprotocol names offered by the client, case preserved (they are case-sensitive tokens).
    private static func offeredSubprotocols(_ head: HTTPRequestHead) -> [String] {
        var offered: [String] = []
        for field in head.headers where field.name.lowercased() == "sec-websocket-protocol" {
            for element in field.value.split(separator: ",") {
                if let token = trimmed(String(element)), !token.isEmpty { offered.append(token) }
            }
        }
        return offered
    }

    private static func trimmed(_ value: String?) -> String? {
        guard let value else { return nil }
        var bytes = value.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return String(bytes)
    }
}

extension WebSocketHandshake {
    /// A `ws://` or `wss://` Origin: no browser page has one.
    public static func isNonBrowserOrigin(_ origin: String) -> Bool {
        let lowered = origin.lowercased()
        return lowered.hasPrefix("ws://") || lowered.hasPrefix("wss://")
    }
}
