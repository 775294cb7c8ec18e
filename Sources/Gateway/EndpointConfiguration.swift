public import Auth

/// How a client may prove who it is on an endpoint.
public enum AuthenticationMethod: String, Sendable, CaseIterable {
    /// A JWT from one of the endpoint's token sources.
    case token
    /// login + passcode from the users file (or `auth.users`).
    case users
    /// No credentials: an anonymous session (`anonymous-<session>`).
    case anonymous
    /// Any login is taken at its word (development only; refused off loopback unless configured).
    case selfNamed = "self-named"
}

/// One place clients connect to: a set of WebSocket paths on the WebSocket listener, or the raw
/// STOMP/TCP listener. What it requires and grants is the same for every transport on it, so
/// other transports (SockJS, a JSON protocol) reuse the value.
public struct EndpointConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case webSocket = "websocket"
        case stomp
    }

    /// Name in logs, metrics, `Identity.endpoint` and `app-endpoint`.
    public var name: String
    public var kind: Kind
    /// Request paths of the WebSocket handshake (empty for raw STOMP).
    public var paths: [String]
    /// Accepted ways to authenticate; nil: the node's default (see `NodeConfiguration.defaultAuthentication`).
    public var authentication: Set<AuthenticationMethod>?
    /// Where tokens are looked for.
    public var tokenSources: Set<TokenSource>
    /// Roles every session of this endpoint gets on top of its credential's.
    public var grantedRoles: Set<String>
    /// Browser Origins allowed at the handshake; nil: `listen.allowed-origins`.
    public var allowedOrigins: [String]?
    /// A WebSocket endpoint's own listener port (same `listen.host`); nil: the shared
    /// `listen.websocket-port`, where `listen.websocket-tls` decides TLS.
    public var port: Int?
    /// TLS on the endpoint's own listener (`tls.cert-file`); only with `port`.
    public var tls = false
    /// What clients speak after the WebSocket handshake: STOMP, or the plain JSON protocol.
    public var wireProtocol: WireProtocol = .stomp
    /// JSON endpoints only: a `user_id` query parameter names the user when no token did.
    /// Anyone can claim any id this way: for development, never in production.
    public var userIDParameter = false
    /// SockJS is served under the endpoint's paths (`<path>/info`, `<path>/<server>/<session>/xhr_streaming`, …)
    /// for clients that cannot keep a WebSocket (`sockjs=on`): STOMP or the JSON protocol inside.
    public var sockJS = false

    public enum WireProtocol: String, Sendable {
        case stomp
        case json
        /// Every message comes back as it was sent: only `conformance.echo-path` makes one.
        case echo
    }

    public init(
        name: String, kind: Kind, paths: [String] = [], authentication: Set<AuthenticationMethod>? = nil,
        tokenSources: Set<TokenSource> = Set(TokenSource.allCases), grantedRoles: Set<String> = [], allowedOrigins: [String]? = nil
    ) {
        self.name = name
        self.kind = kind
        self.paths = paths
        self.authentication = authentication
        self.tokenSources = tokenSources
        self.grantedRoles = grantedRoles
        self.allowedOrigins = allowedOrigins
    }

    /// Parses the one-line form of `listen.endpoints.<name>`: space-separated `field=value`,
    /// lists joined by `|`: `path=/ws/chat auth=token tokens=query|cookie roles=customer
    /// origins=https://shop.example.com port=15690 tls=on`, `path=/api/ws/connect protocol=json`, `path=/ws sockjs=on`, or
    /// `kind=stomp auth=users`. Nil when
    /// malformed, and when `port` is given to a raw STOMP endpoint or `tls` without `port`.
    public init?(name: String, spec: String) {
        guard !name.isEmpty, !name.contains(" ") else { return nil }
        self.init(name: name, kind: .webSocket)
        for field in spec.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            let items = parts[1].split(separator: "|").map(String.init)
            switch parts[0] {
            case "kind":
                guard let kind = Kind(rawValue: parts[1]) else { return nil }
                self.kind = kind
            case "path", "paths":
                guard items.allSatisfy({ $0.hasPrefix("/") }) else { return nil }
                paths = items
            case "auth":
                let methods = items.map { AuthenticationMethod(rawValue: $0) }
                guard !methods.isEmpty, methods.allSatisfy({ $0 != nil }) else { return nil }
                authentication = Set(methods.compactMap { $0 })
            case "tokens":
                let sources = items.map { TokenSource(rawValue: $0) }
                guard sources.allSatisfy({ $0 != nil }) else { return nil }
                tokenSources = Set(sources.compactMap { $0 })
            case "roles":
                grantedRoles = Set(items)
            case "origins":
                guard items.allSatisfy(ConfigurationLoader.isOriginPattern) else { return nil }
                allowedOrigins = items
            case "port":
                guard let number = Int(parts[1]), (1...65_535).contains(number) else { return nil }
                port = number
            case "tls":
                guard let on = ["on": true, "true": true, "off": false, "false": false][parts[1]] else { return nil }
                tls = on
            case "protocol":
                guard let wire = WireProtocol(rawValue: parts[1]), wire != .echo else { return nil }
                wireProtocol = wire
            case "sockjs":
                guard let on = ["on": true, "true": true, "off": false, "false": false][parts[1]] else { return nil }
                sockJS = on
            case "user-id-param":
                guard let on = ["on": true, "true": true, "off": false, "false": false][parts[1]] else { return nil }
                userIDParameter = on
            default:
                return nil
            }
        }
        if wireProtocol == .json && kind != .webSocket { return nil }
        if userIDParameter && wireProtocol != .json { return nil }
        if sockJS && (wireProtocol == .echo || kind != .webSocket) { return nil }
        if (kind == .webSocket) == paths.isEmpty { return nil }
        // TLS is a property of a socket: an endpoint sharing a listener shares its TLS setting.
        if port != nil && kind != .webSocket { return nil }
        if tls && port == nil { return nil }
    }

    /// The one-line form `init(name:spec:)` reads.
    public var spec: String {
        var fields: [String] = []
        if kind == .stomp { fields.append("kind=stomp") }
        if !paths.isEmpty { fields.append("path=" + paths.joined(separator: "|")) }
        if let authentication { fields.append("auth=" + authentication.map(\.rawValue).sorted().joined(separator: "|")) }
        if tokenSources != Set(TokenSource.allCases) { fields.append("tokens=" + tokenSources.map(\.rawValue).sorted().joined(separator: "|")) }
        if !grantedRoles.isEmpty { fields.append("roles=" + grantedRoles.sorted().joined(separator: "|")) }
        if let allowedOrigins { fields.append("origins=" + allowedOrigins.joined(separator: "|")) }
        if let port { fields.append("port=\(port)") }
        if tls { fields.append("tls=on") }
        if wireProtocol != .stomp { fields.append("protocol=" + wireProtocol.rawValue) }
        if userIDParameter { fields.append("user-id-param=on") }
        if sockJS { fields.append("sockjs=on") }
        return fields.joined(separator: " ")
    }
}
