/// The ways a SockJS client receives and sends (sockjs-protocol 0.3.3).
public enum SockJSTransport: String, Sendable, CaseIterable {
    case websocket
    case xhr
    case xhrSend = "xhr_send"
    case xhrStreaming = "xhr_streaming"
    case eventsource
    case htmlfile
    case jsonp
    case jsonpSend = "jsonp_send"

    /// The HTTP methods the transport answers (besides OPTIONS where CORS preflight applies).
    public var method: String {
        switch self {
        case .websocket, .eventsource, .htmlfile, .jsonp: return "GET"
        case .xhr, .xhrSend, .xhrStreaming, .jsonpSend: return "POST"
        }
    }

    /// XHR transports are used cross-origin and get a CORS preflight.
    public var answersOptions: Bool { self == .xhr || self == .xhrSend || self == .xhrStreaming }

    /// Sending transports carry client messages; the others receive.
    public var isSend: Bool { self == .xhrSend || self == .jsonpSend }
}

/// Where a request under a SockJS prefix goes. Paths are relative to the prefix (the endpoint's
/// path), query removed.
public enum SockJSRoute: Sendable, Equatable {
    /// `/` or nothing: "Welcome to SockJS!".
    case greeting
    /// `/info`.
    case info
    /// `/iframe.html`, `/iframe-<version>.html`.
    case iframe
    /// `/websocket`: a plain WebSocket, no SockJS framing.
    case rawWebSocket
    /// `/<server>/<session>/<transport>`.
    case session(server: String, session: String, transport: SockJSTransport)
    /// Anything else: 404.
    case notFound

    /// Classifies a path relative to the SockJS prefix (e.g. "/info", "/000/abc/xhr").
    public static func parse(_ path: String) -> SockJSRoute {
        if path.isEmpty || path == "/" { return .greeting }
        guard path.hasPrefix("/") else { return .notFound }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 {
            let name = parts[0]
            if name == "info" { return .info }
            if name == "websocket" { return .rawWebSocket }
            if name == "iframe.html" { return .iframe }
            if name.hasPrefix("iframe-"), name.hasSuffix(".html"), name.count > "iframe-.html".count - 1,
               !name.dropFirst(7).dropLast(5).contains("/") {
                return .iframe
            }
            return .notFound
        }
        guard parts.count == 3, let transport = SockJSTransport(rawValue: parts[2]),
              validSegment(parts[0]), validSegment(parts[1]) else { return .notFound }
        return .session(server: parts[0], session: parts[1], transport: transport)
    }

    /// Server and session ids: any non-empty text without a dot or slash.
    private static func validSegment(_ segment: String) -> Bool {
        !segment.isEmpty && !segment.utf8.contains(UInt8(ascii: "."))
    }
}

/// A receiving request's framing: how each SockJS frame is written into its HTTP response.
public enum SockJSReceiverKind: Sendable, Equatable {
    case websocket
    /// One response per poll, ends after the first frames.
    case xhrPolling
    /// A long response, newline-delimited frames, after a 2 KiB prelude of `h`.
    case xhrStreaming
    case eventSource
    /// A script-tag stream into a hidden iframe; `callback` names the parent function.
    case htmlFile(callback: String)
    /// One response per poll: `/**/callback("frame");`.
    case jsonpPolling(callback: String)

    /// Streaming receivers keep the response open across frames until its byte budget is spent.
    public var isStreaming: Bool {
        switch self {
        case .xhrStreaming, .eventSource, .htmlFile, .websocket: return true
        case .xhrPolling, .jsonpPolling: return false
        }
    }

    /// Matches the per-transport framing with its callback, when the transport needs one.
    public static func make(_ transport: SockJSTransport, callback: String?) -> SockJSReceiverKind? {
        switch transport {
        case .websocket: return .websocket
        case .xhr: return .xhrPolling
        case .xhrStreaming: return .xhrStreaming
        case .eventsource: return .eventSource
        case .htmlfile: return callback.map { .htmlFile(callback: $0) }
        case .jsonp: return callback.map { .jsonpPolling(callback: $0) }
        case .xhrSend, .jsonpSend: return nil
        }
    }

    /// `Content-Type` of the response.
    public var contentType: String {
        switch self {
        case .websocket: return ""
        case .xhrPolling, .xhrStreaming, .jsonpPolling: return "application/javascript; charset=UTF-8"
        case .eventSource: return "text/event-stream"
        case .htmlFile: return "text/html; charset=UTF-8"
        }
    }

    /// Bytes written before the first frame.
    public var prelude: String {
        switch self {
        case .xhrStreaming: return String(repeating: "h", count: 2048) + "\n"
        case .eventSource: return "\r\n"
        case .htmlFile(let callback):
            let head = SockJSPages.htmlFileHead(callback: callback)
            // Padding so that browsers start rendering (and running the scripts) at once.
            return head + String(repeating: " ", count: max(0, 1024 - head.utf8.count)) + "\r\n\r\n"
        case .websocket, .xhrPolling, .jsonpPolling: return ""
        }
    }

    /// One frame as it goes on the wire for this transport.
    public func encode(_ frame: SockJSFrame) -> String {
        let text = frame.text
        switch self {
        case .websocket: return text
        case .xhrPolling, .xhrStreaming: return text + "\n"
        case .eventSource: return "data: " + text + "\r\n\r\n"
        case .htmlFile: return "<script>\np(" + SockJSJSON.quote(text) + ");\n</script>\r\n"
        case .jsonpPolling(let callback): return "/**/" + callback + "(" + SockJSJSON.quote(text) + ");\r\n"
        }
    }

    /// A JSONP or htmlfile callback name: letters, digits, `_`, `-` and `.` only, so nothing the
    /// client names can break out of the script.
    public static func validCallback(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }
}
