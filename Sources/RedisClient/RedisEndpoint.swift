/// Where a Redis server listens.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IP literal (IPv6 without brackets). Names are resolved synchronously by hiredis.
    public let host: String
    /// TCP port, 1...65535.
    public let port: Int

    /// The standard Redis port.
    public static let defaultPort = 6379

    /// An endpoint from its parts; `nil` for an empty host or a port outside 1...65535.
    public init?(host: String, port: Int = RedisEndpoint.defaultPort) {
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    /// Parses `redis://host`, `redis://host:port` or `redis://[ipv6]:port`, optionally ending in `/`.
    /// User info, database paths and query strings are not supported and give `nil`.
    public init?(url: String) {
        let scheme = "redis://"
        guard url.hasPrefix(scheme) else { return nil }
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?") else { return nil }

        let hostPart: Substring
        let portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.isEmpty {
                portPart = nil
            } else {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        } else {
            hostPart = rest
            portPart = nil
        }

        var port = RedisEndpoint.defaultPort
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let parsed = Int(portPart) else { return nil }
            port = parsed
        }
        self.init(host: String(hostPart), port: port)
    }

    /// `redis://host:port`.
    public var description: String {
        host.contains(":") ? "redis://[\(host)]:\(port)" : "redis://\(host):\(port)"
    }
}
