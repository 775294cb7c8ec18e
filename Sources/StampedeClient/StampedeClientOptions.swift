public import STOMPClientSession
public import STOMPWire

extension StampedeClient {
    /// Credentials, heart-beats, reconnect policy and limits of a client.
    public struct Options: Sendable {
        public var login: String?
        public var passcode: String?
        /// Bearer token (JWT): sent as `Authorization: Bearer` at the WebSocket handshake and as the
        /// CONNECT `token` header (TCP and WebSocket alike).
        public var token: String?
        /// Also put the token in the WebSocket URL under this query parameter (the node's
        /// `auth.token-query-parameter`, e.g. `access_token`) for endpoints that only read the query.
        public var tokenQueryParameter: String?
        /// Offered heart-beats in ms (can send, wants to receive); checked with 2× tolerance.
        public var heartBeat: HeartBeat
        public var reconnect: ReconnectPolicy
        /// Sends made while disconnected that wait for the next connection; more fail with
        /// `.sendQueueFull`.
        public var maxQueuedSends: Int
        /// Deadline for one attempt: transport open and CONNECTED.
        public var connectTimeout: Duration
        /// Keep retrying when the first connection fails (default: `connect()` throws).
        public var retryFirstConnect: Bool
        /// Where `request(_:to:)` answers arrive: a `/user` destination of this session's user.
        public var replyDestination: String
        /// Largest frame accepted from the server (and WebSocket message size).
        public var maxFrameBytes: Int
        /// The CONNECT `host` header.
        public var virtualHost: String
        /// Extra CONNECT headers.
        public var connectHeaders: [STOMPHeader]
        /// PEM file of the certificate authorities `wss://` and `stomp+ssl://` servers are checked
        /// against (a private CA, a self-signed node); nil: the system's trust store.
        public var trustedCAFile: String?

        public init(
            login: String? = nil,
            passcode: String? = nil,
            token: String? = nil,
            tokenQueryParameter: String? = nil,
            heartBeat: HeartBeat = HeartBeat(canSend: 10_000, wantsReceive: 10_000),
            reconnect: ReconnectPolicy = ReconnectPolicy(),
            maxQueuedSends: Int = 1_000,
            connectTimeout: Duration = .seconds(10),
            retryFirstConnect: Bool = false,
            replyDestination: String = "/user/queue/replies",
            maxFrameBytes: Int = 4 * 1_048_576 + 65_536,
            virtualHost: String = "/",
            connectHeaders: [STOMPHeader] = [],
            trustedCAFile: String? = nil
        ) {
            self.login = login
            self.passcode = passcode
            self.token = token
            self.tokenQueryParameter = tokenQueryParameter
            self.heartBeat = heartBeat
            self.reconnect = reconnect
            self.maxQueuedSends = maxQueuedSends
            self.connectTimeout = connectTimeout
            self.retryFirstConnect = retryFirstConnect
            self.replyDestination = replyDestination
            self.maxFrameBytes = maxFrameBytes
            self.virtualHost = virtualHost
            self.connectHeaders = connectHeaders
            self.trustedCAFile = trustedCAFile
        }

        var sessionConfiguration: ClientSessionConfiguration {
            var limits = STOMPLimits()
            limits.maxFrameBytes = maxFrameBytes
            limits.maxBodyBytes = maxFrameBytes
            return ClientSessionConfiguration(
                host: virtualHost, login: login, passcode: passcode, token: token, heartBeat: heartBeat,
                connectHeaders: connectHeaders, reconnect: reconnect, maxQueuedSends: maxQueuedSends,
                retryFirstConnect: retryFirstConnect, limits: limits
            )
        }
    }
}
