public import UVLoop
public import HTTPWire
public import SockJSWire
public import WebSocketWire

/// One endpoint that serves SockJS: its path is the prefix of every SockJS URL.
public struct SockJSMount: Sendable {
    /// What runs inside the sessions of a mount.
    public enum Behavior: Sendable {
        /// The node's protocol (STOMP), through `SockJSServer.openSession`.
        case node
        /// Every message comes back (the sockjs-protocol test suite's `echo` services).
        case echo
        /// The session closes right after it opens (the suite's `close` service).
        case close
    }

    /// The endpoint's path (`/ws/chat`): `/ws/chat/info`, `/ws/chat/<server>/<session>/xhr`, …
    public var prefix: String
    /// The endpoint's name, for logs and for the node to find its rules.
    public var endpointName: String
    public var pages: SockJSPages
    public var behavior: Behavior
    /// How messages travel over the stream to the node: STOMP frames (self-delimiting), or JSON
    /// texts each ended by a NUL byte (a JSON text never contains a raw NUL; newlines it may).
    public var carriesJSON: Bool

    public init(prefix: String, endpointName: String, pages: SockJSPages, behavior: Behavior = .node, carriesJSON: Bool = false) {
        self.prefix = prefix
        self.endpointName = endpointName
        self.pages = pages
        self.behavior = behavior
        self.carriesJSON = carriesJSON
    }
}

/// Limits of the SockJS transports, each counted (see `SockJSServer.counters`).
public struct SockJSLimits: Sendable, Equatable {
    /// Sessions at once on this node; beyond it new sessions get 503.
    public var maxSessions: Int
    /// HTTP requests (heads and `xhr_send` bodies) the transports read.
    public var http: HTTPLimits
    /// A connection neither receiving nor sending a request for this long is closed.
    public var idleMilliseconds: UInt64

    public init(maxSessions: Int = 10_000, http: HTTPLimits = .init(), idleMilliseconds: UInt64 = 10_000) {
        self.maxSessions = maxSessions
        self.http = http
        self.idleMilliseconds = idleMilliseconds
    }
}

/// Why the node would not open a session (bad Origin, missing or bad token, limits).
public struct SockJSRefusal: Error, Sendable {
    public var status: Int
    public var message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }
}

/// What the SockJS transports did, for `/metrics`.
public struct SockJSCounters: Sendable {
    public var sessionsOpened: UInt64 = 0
    public var sessionsRefused: UInt64 = 0
    public var sessionsTimedOut: UInt64 = 0
    public var sessionsClosedSlow: UInt64 = 0
    public var requests: UInt64 = 0
    public var requestsRefused: UInt64 = 0
}

/// The SockJS server protocol on the node's loop: requests under a mount's prefix are handed to
/// it (`adopt`) after the node has parsed their head. It keeps the sessions, each a
/// `SockJSWire.SockJSSession` whose protocol runs over an in-process stream pair, and carries
/// out what the sessions decide. Confined to the loop thread.
public final class SockJSServer {
    public let loop: EventLoop
    public let options: SockJSSessionOptions
    public let limits: SockJSLimits
    /// The node behind the transports: a request opens a session on a mount, and gets the
    /// in-process stream end whose other end the node serves as an ordinary raw STOMP
    /// connection, or why not. The last argument is the HTTP client's address.
    public var openSession: ((SockJSMount, HTTPRequestHead, String) -> Result<TCPConnection, SockJSRefusal>)?
    public private(set) var counters = SockJSCounters()
    /// The loop's clock in milliseconds (injected: tests and the node share one).
    let clock: () -> UInt64
    /// For the `websocket` transport's handshake (the node's libcrypto SHA-1).
    let sha1: ([UInt8]) -> [UInt8]
    let webSocketLimits: WebSocketLimits
    /// A session holding this much for its next receiving request stops reading from the node.
    var pauseReadingAtBytes: Int { min(64 * 1024, options.maxBufferedBytes / 2) }

    /// Sessions by mount prefix and session id (ids are chosen by clients, so per mount).
    var sessions: [SessionKey: SockJSSessionHost] = [:]
    /// Requests currently receiving, by the id their session knows them by.
    var receivers: [SockJSReceiverID: any SockJSReceiver] = [:]
    private var nextReceiverID: SockJSReceiverID = 1
    /// Every client socket the transports hold (for the idle timeout and shutdown).
    var connections: [ObjectIdentifier: SockJSHTTPConnection] = [:]
    /// Set by the node in a cluster: sessions are then found on whichever node owns them.
    public var cluster: SockJSCluster?
    /// Requests on this node answered by another node (the owner of their session), by number.
    var relayedRequests: [UInt64: SockJSHTTPConnection] = [:]
    /// Receiving requests of other nodes attached to sessions of this node.
    var remoteReceivers: [RemoteReceiverKey: (id: SockJSReceiverID, session: SessionKey)] = [:]
    var nextRelayNumber: UInt64 = 1
    /// Numbers the sessions of the websocket transport (keys of their own).
    var nextWebSocketSession: UInt64 = 0
    /// Owners learned from the cluster for sessions of other nodes, so that a session's next
    /// requests skip the lookup (forgotten when the owner says it has no such session or goes
    /// silent, and all at once past `maxKnownOwners`).
    var knownOwners: [SessionKey: String] = [:]
    static let maxKnownOwners = 10_000

    struct SessionKey: Hashable {
        var prefix: String
        var session: String

        /// The session's name in the cluster (`ClusterBus.claim`) and in relay messages.
        var name: String { "sockjs:" + prefix + "/" + session }

        init(prefix: String, session: String) {
            self.prefix = prefix
            self.session = session
        }

        init?(name: String) {
            guard name.hasPrefix("sockjs:"), let slash = name.lastIndex(of: "/") else { return nil }
            prefix = String(name[name.index(name.startIndex, offsetBy: 7)..<slash])
            session = String(name[name.index(after: slash)...])
        }
    }

    struct RemoteReceiverKey: Hashable {
        var node: String
        var number: UInt64
    }

    public init(
        loop: EventLoop, options: SockJSSessionOptions, limits: SockJSLimits, webSocketLimits: WebSocketLimits,
        clock: @escaping () -> UInt64, sha1: @escaping ([UInt8]) -> [UInt8]
    ) {
        self.loop = loop
        self.options = options
        self.limits = limits
        self.webSocketLimits = webSocketLimits
        self.clock = clock
        self.sha1 = sha1
    }

    /// Sessions open now.
    public var sessionCount: Int { sessions.count }
    /// Client sockets the transports hold now.
    public var connectionCount: Int { connections.count }

    /// Takes over a connection whose first request (already parsed) is under `mount`'s prefix;
    /// `leftover` is what the client sent after it.
    public func adopt(_ tcp: TCPConnection, request: HTTPRequest, leftover: [UInt8], mount: SockJSMount) {
        let connection = SockJSHTTPConnection(tcp: tcp, server: self, mount: mount, now: clock())
        connections[ObjectIdentifier(connection)] = connection
        tcp.delegate = connection
        connection.handle(request)
        if !leftover.isEmpty { leftover.withUnsafeBytes { connection.connection(tcp, didRead: $0) } }
    }

    /// Heart-beats and timeouts of every session; idle client sockets are closed.
    public func tick() {
        let now = clock()
        for host in Array(sessions.values) { host.perform(host.session.tick(now: now)) }
        for connection in connections.values where connection.isIdle(now: now, limit: limits.idleMilliseconds) {
            connection.tcp.close(afterFlush: true)
        }
        if cluster != nil { expireRelayedRequests(now: now) }
    }

    /// Shutdown: every session is closed with 3000 "Go away!", then every client socket.
    public func closeAll() {
        let now = clock()
        for host in Array(sessions.values) { host.perform(host.session.close(now: now)) }
        for connection in connections.values { connection.tcp.close(afterFlush: true) }
    }

    func connectionClosed(_ connection: SockJSHTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    // MARK: Sessions

    func makeReceiverID(_ receiver: any SockJSReceiver) -> SockJSReceiverID {
        let id = nextReceiverID
        nextReceiverID += 1
        receivers[id] = receiver
        return id
    }

    /// The session a receiving request names, opened when new; nil and an answer sent when refused.
    func session(for request: HTTPRequestHead, key: SessionKey, mount: SockJSMount, peer: String) -> Result<SockJSSessionHost, SockJSRefusal> {
        if let host = sessions[key] { return .success(host) }
        guard sessions.count < limits.maxSessions else {
            counters.sessionsRefused += 1
            return .failure(SockJSRefusal(status: 503, message: "too many SockJS sessions (limit \(limits.maxSessions))"))
        }
        if mount.behavior != .node {
            let host = SockJSSessionHost(server: self, key: key, stream: nil, behavior: mount.behavior, session: SockJSSession(options: options, now: clock()))
            sessions[key] = host
            counters.sessionsOpened += 1
            return .success(host)
        }
        guard let openSession else { return .failure(SockJSRefusal(status: 503, message: "server shutting down")) }
        switch openSession(mount, request, peer) {
        case .failure(let refusal):
            counters.sessionsRefused += 1
            return .failure(refusal)
        case .success(let stream):
            let host = SockJSSessionHost(server: self, key: key, stream: stream, behavior: .node, session: SockJSSession(options: options, now: clock()))
            host.carriesJSON = mount.carriesJSON
            stream.delegate = host
            stream.startReadingPairEnd()
            sessions[key] = host
            counters.sessionsOpened += 1
            return .success(host)
        }
    }

    func forget(_ host: SockJSSessionHost) {
        guard sessions[host.key] === host else { return }
        sessions[host.key] = nil
        cluster?.release(host.key.name)
    }

    func count(closed code: Int) {
        if code == 3009 { counters.sessionsTimedOut += 1 }
        if code == 3008 { counters.sessionsClosedSlow += 1 }
    }

    func noteRequest(refused: Bool) {
        counters.requests += 1
        if refused { counters.requestsRefused += 1 }
    }
}
