public import STOMPWire
public import WebSocketWire
public import HTTPWire
public import Broker
public import Router
public import STOMPSession
public import Applications
public import TLS
public import Auth
public import AccessRules
public import Webhooks
public import OfflineMessages
public import JSONProtocol
public import SockJSWire
internal import Admin

/// Everything a node can be told. Defaults are the documented single-node defaults; the file
/// `deploy/stampede.example.yml` documents every field, and `ConfigurationLoader` fills this from
/// YAML, `STAMPEDE_*` environment variables and command-line flags.
public struct NodeConfiguration: Sendable, Equatable {
    // Listeners
    public var host: String = "127.0.0.1"
    /// WebSocket (and later HTTP API) port.
    public var webSocketPort: Int = 15674
    public var webSocketPaths: [String] = ["/ws", "/stomp"]
    /// Raw STOMP over TCP; nil turns the listener off.
    public var stompPort: Int? = 61613
    /// Browser Origins allowed at the WebSocket handshake. Requests without Origin (non-browser
    /// clients) are always allowed. `*` allows every origin and must be configured explicitly.
    public var allowedOrigins: [String] = ["http://localhost:*", "http://127.0.0.1:*", "https://localhost:*", "https://127.0.0.1:*"]
    /// Named endpoints (`listen.endpoints`); empty: one WebSocket endpoint `websocket` on
    /// `webSocketPaths` and one raw STOMP endpoint `stomp`, with the default authentication.
    public var endpoints: [EndpointConfiguration] = []
    /// `conformance.echo-path`: an extra WebSocket endpoint that echoes messages (nil: none).
    public var conformanceEchoPath: String?
    /// `conformance.sockjs-path`: the sockjs-protocol suite's services under this path (nil: none).
    public var conformanceSockJSPath: String?
    static let conformanceSockJSCloseEndpoint = "conformance-sockjs-close"

    // TLS (one certificate per node; each listener opts in)
    public var webSocketTLS = false
    public var stompTLS = false
    public var adminTLS = false
    public var apiTLS = false
    public var tlsCertificateFile: String? = nil
    public var tlsKeyFile: String? = nil
    public var tlsClientCAFile: String? = nil
    public var tlsRequireClientCertificate = false
    public var tlsMinimumVersion = "1.2"
    public var tlsCiphers = TLSSettings.defaultCiphers

    // Limits
    public var maxConnections: Int = 10_000
    /// New connections accepted per second on this node (burst: twice that); 0: no limit.
    public var newConnectionsPerSecond: Int = 0
    /// Sessions one user may have open on this node; 0: no limit.
    public var maxConnectionsPerUser: Int = 0
    /// Users-file password checks (PBKDF2, on libuv's thread pool) in progress at once; a CONNECT
    /// beyond it is refused as busy instead of queueing without bound.
    public var maxPendingPasswordChecks: Int = 64
    /// Inbound STOMP frames and bytes per second per connection (burst: twice that); 0: no limit.
    public var framesPerSecondPerConnection: Int = 0
    public var bytesPerSecondPerConnection: Int = 0
    /// A connection over its rate for this long without a break gets an ERROR and is closed.
    public var rateExcessMilliseconds: UInt64 = 10_000
    public var stomp: STOMPLimits = .init()
    public var webSocket: WebSocketLimits = .init()
    /// permessage-deflate negotiation and the size from which MESSAGEs are compressed (off by default).
    public var perMessageDeflate = PerMessageDeflatePolicy()
    /// The plain JSON WebSocket protocol of `protocol=json` endpoints: field names, destinations, pings, limits.
    public var jsonProtocol = JSONProtocolSettings()
    /// SockJS on endpoints that say `sockjs=on` (and the default endpoint with `listen.sockjs`).
    public var sockJS = SockJSSettings()
    public var http: HTTPLimits = .init()
    public var broker: BrokerLimits = .init()
    /// Bytes waiting to be written to one client before it is a slow consumer and is disconnected.
    public var maxOutputBufferBytes: Int = 8 * 1024 * 1024
    /// A connection must finish CONNECT (and the WebSocket handshake) within this time.
    public var connectTimeoutMilliseconds: UInt64 = 10_000
    /// How long a closing connection may take to drain its output before it is cut.
    public var closeGraceMilliseconds: UInt64 = 5_000
    /// How long a client may stay over `maxOutputBufferBytes` (under twice it) before it is cut.
    public var slowConsumerGraceMilliseconds: UInt64 = 1_000
    /// Node-wide budget for bytes held for clients; 0 derives it from memory (`MemoryBudget`).
    public var maxBufferedBytes: Int = 0
    /// Publisher flow control watermarks; 0: half of the budget and half of the high watermark.
    public var flowHighWatermarkBytes: Int = 0
    public var flowLowWatermarkBytes: Int = 0
    /// `limits.flow.max-publisher-pause-ms`: a publisher paused longer has its blocker cut.
    public var maxPublisherPauseMilliseconds: Int = 30_000
    /// How long a subscriber may take no bytes and still count as reading (slow, not dead).
    public var readerStallMilliseconds: Int = 5_000
    /// A started frame must complete within this time (0: no deadline).
    public var frameTimeoutMilliseconds: UInt64 = 30_000

    // STOMP
    public var session: SessionConfiguration = .init()
    public var prefixes: DestinationPrefixes = .init()
    public var destinationSyntax: DestinationSyntax = .init()
    /// Logins and passcodes; empty means everyone may connect (anonymous or with any login).
    public var users: [String: String] = [:]
    /// With a users list: whether a CONNECT without login is still accepted.
    public var allowAnonymous: Bool = false
    /// Path of the users file (`name:pbkdf2-sha256$…[:roles]` lines); nil: none.
    public var usersFile: String? = nil
    /// HMAC secret for HS256/384/512 tokens; nil: none.
    public var jwtSecret: String? = nil
    public var jwtSecretAlgorithm: String = "HS256"
    /// PEM public key file for RS*/ES*/EdDSA tokens; nil: none.
    public var jwtPublicKeyFile: String? = nil
    public var jwtPublicKeyAlgorithm: String = "RS256"
    /// JWKS file (keys with `kid` and `alg`); nil: none.
    public var jwtJWKSFile: String? = nil
    /// Claims a token must satisfy.
    public var tokenPolicy: TokenPolicy = .init()
    /// `disconnect`: a session whose token expires gets an ERROR and is closed; `keep`: it stays.
    public var tokenExpiryPolicy: String = "disconnect"
    /// Query parameter and cookie names carrying a token at the handshake.
    public var tokenQueryParameter: String = "access_token"
    public var tokenCookie: String = "stampede_token"
    /// Authorization rules, first match wins (`auth.rules`).
    public var accessRules: [AccessRule] = []
    /// What happens when no rule applies: `allow` or `deny`.
    public var accessDefaultPolicy: String = "auto"

    /// Whether `auth.default-policy` allows what no rule decides: `auto` allows only on a loopback
    /// `listen.host`, so a node facing a network authorizes nothing its rules do not name.
    public var defaultPolicyAllows: Bool {
        accessDefaultPolicy == "allow" || (accessDefaultPolicy == "auto" && AdminEndpoint.isLoopback(host))
    }
    /// Peers whose `X-Forwarded-For` / `Forwarded` header names the client address in logs.
    public var trustedProxies: [String] = []

    // Applications
    /// `/app` destinations: prefixes, the route table, the service role.
    public var applications: ApplicationSettings = .init()
    /// Logins that are backend services (have `applications.serviceRole`).
    public var serviceUsers: [String] = []
    /// Destinations (exact or patterns) whose joins and leaves of users are published.
    public var presenceDestinations: [String] = []
    /// Appended to a destination to name the companion destination of its presence events.
    public var presenceSuffix: String = ".presence"
    /// Offline user messages (`offline.*`): kept for users with no subscription, off by default.
    public var offline: OfflineSettings = .init()

    // Webhooks and hooks (HTTP calls to backends)
    /// Timeouts, concurrency, retries and backoff of webhook calls (`webhooks.*`).
    public var webhooks: WebhookSettings = .init()
    /// URL the node asks to authenticate each CONNECT (Centrifugo's connect proxy); nil: off.
    public var connectHookURL: String? = nil
    /// URL notified of session events (`hookEvents`); nil: off.
    public var eventsHookURL: String? = nil
    /// Which session events are sent to `eventsHookURL`: connect, disconnect, subscribe.
    public var hookEvents: [String] = ["connect", "disconnect"]
    /// Event notifications waiting to be sent; beyond this they are dropped (and counted).
    public var hookEventsMaxQueued: Int = 10_000

    // Server HTTP API (nil port: off)
    public var apiHost: String = "127.0.0.1"
    public var apiPort: Int? = 15680
    /// API keys (`Authorization: apikey <key>`); required when apiHost is not a loopback address.
    public var apiKeys: [String] = []
    /// Role a JWT (`Authorization: Bearer`, verified with the `auth.jwt.*` keys) needs for the API.
    public var apiRole: String = "api"
    /// Largest request body the API accepts (413 beyond).
    public var apiMaxBodyBytes: Int = 1 << 20
    /// Most operations in one batch request.
    public var apiMaxBatch: Int = 1_000

    // Cluster (nil redisURL: a single node with the in-memory router)
    /// `redis://host:port`; when set the node joins the cluster that shares this Redis.
    public var redisURL: String? = nil
    /// Unique node id; nil derives one from the host name, the process id and a random suffix.
    public var nodeID: String? = nil
    /// Address other operators see for this node in the admin view; nil uses host:websocket-port.
    public var advertisedAddress: String? = nil
    /// Prefix of every Redis key and channel, so several clusters can share one Redis.
    public var redisKeyPrefix: String = "stampede"
    /// How often a node refreshes its heartbeat key and checks for dead peers.
    public var nodeHeartbeatMilliseconds: UInt64 = 1_000
    /// A node whose heartbeat is older than this is dead; its entries are removed.
    public var nodeTimeoutMilliseconds: UInt64 = 5_000
    /// Wait after the last local subscriber leaves before dropping the node's interest.
    public var interestGraceMilliseconds: UInt64 = 2_000
    /// Redis reconnect backoff ceiling.
    public var redisReconnectMaxMilliseconds: UInt64 = 2_000
    /// Most queue messages a node takes from the cluster in one pull.
    public var clusterPullBatch: Int = 64
    /// A Redis connect attempt is abandoned after this long.
    public var redisConnectTimeoutMilliseconds: UInt64 = 2_000
    /// Liveness probe period; a probe unanswered for `redisTimeoutMilliseconds` means stalled.
    public var redisPingIntervalMilliseconds: UInt64 = 1_000
    public var redisTimeoutMilliseconds: UInt64 = 3_000
    /// Stalled this long: both connections are dropped and made again.
    public var redisStallReconnectMilliseconds: UInt64 = 10_000
    /// Bytes sent to Redis and not yet answered past which the link counts as congested.
    public var maxPendingRedisBytes: Int = 64 << 20

    // Admin endpoint (nil port: off)
    public var adminHost: String = "127.0.0.1"
    public var adminPort: Int? = 15675
    /// Bearer token for the admin endpoint; required when adminHost is not a loopback address.
    public var adminToken: String? = nil
    /// Rate samples (one per heartbeat) kept for the dashboard chart.
    public var adminHistorySamples: Int = 300
    /// 1 in this many publications is timed for `stampede_delivery_latency_seconds`; 0: none.
    public var latencySampleEvery: Int = 64

    // Runtime
    /// Granularity of heart-beat and timeout checks.
    public var tickMilliseconds: UInt64 = 1_000
    /// Released buffered bytes after which free heap memory is returned to the OS (0: never).
    public var memoryTrimThresholdBytes: Int = 64 << 20
    /// Time a shutdown waits for clients to receive their goodbye before closing them hard.
    public var shutdownGraceMilliseconds: UInt64 = 3_000
    public var logLevel: String = "info"
    /// `text` (swift-log's stream format) or `json` (one JSON object per line).
    public var logFormat: String = "text"
    /// Session connect/close lines at info per second, at most (0: none).
    public var sessionLogLinesPerSecond: Int = 100

    public init() {}

    /// The authenticator the configuration asks for (endpoints refine it per connection).
    public var authenticator: any Authenticator {
        users.isEmpty ? AllowAllAuthenticator() : UsersListAuthenticator(passcodes: users, allowAnonymous: allowAnonymous)
    }

    /// Whether some credential store is configured (users or token keys).
    public var hasAuthentication: Bool {
        !users.isEmpty || usersFile != nil || hasTokenKeys
    }

    public var hasTokenKeys: Bool { jwtSecret != nil || jwtPublicKeyFile != nil || jwtJWKSFile != nil }

    /// Authentication of endpoints that name none: tokens and/or users when configured
    /// (anonymous too with `auth.allow-anonymous`); with nothing configured, open access
    /// (anonymous and self-named logins), which only a loopback node may run with.
    public var defaultAuthentication: Set<AuthenticationMethod> {
        guard hasAuthentication else { return [.anonymous, .selfNamed] }
        var methods: Set<AuthenticationMethod> = []
        if hasTokenKeys { methods.insert(.token) }
        if !users.isEmpty || usersFile != nil { methods.insert(.users) }
        if allowAnonymous { methods.insert(.anonymous) }
        return methods
    }

    /// The endpoints the node serves: the configured ones, plus defaults for what they leave out.
    public var effectiveEndpoints: [EndpointConfiguration] {
        var list = endpoints
        if !list.contains(where: { $0.kind == .webSocket }) && endpoints.isEmpty {
            var websocket = EndpointConfiguration(name: "websocket", kind: .webSocket, paths: webSocketPaths)
            websocket.sockJS = sockJS.onDefaultEndpoint
            list.append(websocket)
        }
        if stompPort != nil && !list.contains(where: { $0.kind == .stomp }) {
            list.append(EndpointConfiguration(name: "stomp", kind: .stomp))
        }
        if let top = conformanceSockJSPath {
            // The suite's raw `/websocket` entry points: plain WebSocket echo.
            var echo = EndpointConfiguration(name: "conformance-sockjs", kind: .webSocket,
                                             paths: ["echo", "disabled_websocket_echo", "cookie_needed_echo"].map { top + "/" + $0 + "/websocket" },
                                             authentication: [.anonymous], allowedOrigins: ["*"])
            echo.wireProtocol = .echo
            list.append(echo)
            // The suite's `close` service: its raw WebSocket is closed at once (3000 "Go away!").
            var close = EndpointConfiguration(name: Self.conformanceSockJSCloseEndpoint, kind: .webSocket, paths: [top + "/close/websocket"],
                                              authentication: [.anonymous], allowedOrigins: ["*"])
            close.wireProtocol = .echo
            list.append(close)
        }
        if let conformanceEchoPath {
            var echo = EndpointConfiguration(name: "conformance-echo", kind: .webSocket, paths: [conformanceEchoPath],
                                             authentication: [.anonymous], allowedOrigins: ["*"])
            echo.wireProtocol = .echo
            list.append(echo)
        }
        return list.map { endpoint in
            var endpoint = endpoint
            if endpoint.authentication == nil { endpoint.authentication = defaultAuthentication }
            return endpoint
        }
    }

    /// The handshake rules of the shared WebSocket listener (`listen.websocket-port`): the paths of
    /// the endpoints without a port of their own.
    public var handshakePolicy: WebSocketHandshakePolicy {
        handshakePolicy(paths: effectiveEndpoints.filter { $0.kind == .webSocket && $0.port == nil }.flatMap(\.paths), origins: allowedOrigins)
    }

    /// The handshake rules of one endpoint.
    func handshakePolicy(for endpoint: EndpointConfiguration) -> WebSocketHandshakePolicy {
        handshakePolicy(paths: endpoint.paths, origins: endpoint.allowedOrigins ?? allowedOrigins)
    }

    private func handshakePolicy(paths: [String], origins: [String]) -> WebSocketHandshakePolicy {
        WebSocketHandshakePolicy(
            paths: paths,
            allowedOrigins: origins,
            subprotocols: session.supportedVersions.sorted(by: >).map { "v" + $0.rawValue.replacingDots() + ".stomp" }
        )
    }
}

extension String {
    /// "1.2" → "12" for the `v12.stomp` subprotocol names.
    fileprivate func replacingDots() -> String { String(self.filter { $0 != "." }) }
}

/// SockJS sessions: their timings and limits, and what `/info` and `iframe.html` say.
public struct SockJSSettings: Sendable, Equatable {
    /// `listen.sockjs`: SockJS on the default endpoint (`listen.websocket-paths`).
    public var onDefaultEndpoint = false
    public var session = SockJSSessionOptions()
    public var maxSessions = 10_000
    /// The sockjs-client script `iframe.html` loads (only the iframe-based transports use it).
    public var clientScriptURL = "https://cdn.jsdelivr.net/npm/sockjs-client@1/dist/sockjs.min.js"
    /// `websocket` in `/info`: off makes clients use the HTTP transports only.
    public var webSocketTransport = true
}
