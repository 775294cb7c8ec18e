public import STOMPClientSession

/// Where a client connects: `ws://`, `wss://` (STOMP over WebSocket), `stomp://`,
/// `stomp+ssl://` (raw STOMP over TCP, optionally TLS).
public struct StampedeEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: String, Sendable {
        case webSocket = "ws"
        case secureWebSocket = "wss"
        case tcp = "stomp"
        case secureTCP = "stomp+ssl"
    }

    public var transport: Transport
    public var host: String
    public var port: Int
    /// WebSocket request path with its query ("/ws"); unused for TCP.
    public var path: String

    /// Parses a URL; the default ports are 15674 (ws), 443 (wss), 61613 (stomp), 61614 (stomp+ssl),
    /// the default WebSocket path `/ws`.
    public init(parsing url: String) throws(StampedeClientError) {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidURL(url, "no scheme (ws://, wss://, stomp://, stomp+ssl://)") }
        guard let transport = Transport(rawValue: parts[0].lowercased()) else {
            throw .invalidURL(url, "unknown scheme (ws://, wss://, stomp://, stomp+ssl://)")
        }
        var rest = parts[1]
        var path = "/ws"
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
            path = String(rest[slash...])
            if path.first == "?" { path = "/ws" + path }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        var host = String(rest)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalidURL(url, "unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) ; if port == nil { throw .invalidURL(url, "bad port") } }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]), (1...65_535).contains(value) else { throw .invalidURL(url, "bad port") }
            port = value
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .invalidURL(url, "no host") }
        self.transport = transport
        self.host = host
        self.path = path
        switch transport {
        case .webSocket: self.port = port ?? 15_674
        case .secureWebSocket: self.port = port ?? 443
        case .tcp: self.port = port ?? 61_613
        case .secureTCP: self.port = port ?? 61_614
        }
    }

    public var usesTLS: Bool { transport == .secureWebSocket || transport == .secureTCP }
    public var isWebSocket: Bool { transport == .webSocket || transport == .secureWebSocket }

    /// The WebSocket URL, with `token` added as the query parameter `parameter` when both are given
    /// (the node's `auth.token-query-parameter`, `access_token` by default).
    func webSocketURL(token: String?, parameter: String?) -> String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var url = "\(transport.rawValue)://\(hostPart):\(port)\(path)"
        if let token, let parameter {
            url += (path.contains("?") ? "&" : "?") + Self.percentEncoded(parameter) + "=" + Self.percentEncoded(token)
        }
        return url
    }

    public var description: String {
        isWebSocket ? "\(transport.rawValue)://\(host):\(port)\(path.split(separator: "?").first.map(String.init) ?? path)" : "\(transport.rawValue)://\(host):\(port)"
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
