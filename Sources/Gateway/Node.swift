internal import Admin
public import Logging
public import UVLoop
internal import HTTPServer
internal import Broker
internal import STOMPSession
internal import WebSocketWire
internal import HTTPWire
internal import STOMPWire
internal import Glibc
internal import BuildInfo
internal import TLS
internal import LogOutput
internal import RedisClient
internal import FlowControl
internal import Auth
internal import OfflineMessages
internal import WebSocketDeflate
internal import SockJSServer
public import ClusterBus
public import Applications

/// A single Stampede node: listeners, connections, the broker and the lifecycle around them.
/// Create it on the thread that will call `run()`; everything it owns is confined to that thread.
public final class Node {
    public let configuration: NodeConfiguration
    public let logger: Logger
    public let loop: EventLoop
    // `@exclusivity(unchecked)`: loop-thread state on the per-message path, never accessed
    // overlapping (ARCHITECTURE.md, "Exclusivity checks on the per-message path").
    @exclusivity(unchecked) public internal(set) var counters = NodeCounters()

    /// The Stampede version (from `BuildInfo`, the one place it is written).
    public static let version = BuildInfo.version

    let authenticator: any Authenticator
    let handshakePolicy: WebSocketHandshakePolicy
    /// Token keys, users, rules: loaded once here, used by every connection.
    let access: AccessControl
    /// The endpoints of the shared WebSocket listener by request path, with their handshake rules.
    let webSocketEndpoints: WebSocketRoutes
    /// The raw STOMP listener's endpoint.
    let stompEndpoint: EndpointConfiguration?
    /// New connections per second (`limits.new-connections-per-second`); nil: no limit.
    var acceptBucket: TokenBucket?
    /// Connected sessions per user on this node (`limits.max-connections-per-user`).
    var sessionsPerUser: [String: Int] = [:]
    /// Users-file password checks running on the thread pool (`limits.max-pending-password-checks`).
    var pendingPasswordChecks = 0
    @exclusivity(unchecked) var broker: LocalBroker
    /// The rest of the cluster (an in-memory bus when this node is alone).
    public let bus: any ClusterBus
    /// When the cluster link last left `connected` (monotonic ns), for the recovery log line.
    var clusterDegradedSince: UInt64?
    @exclusivity(unchecked) var connections = ConnectionTable()
    /// SockJS transports, when an endpoint says `sockjs=on`.
    var sockJS: SockJSServer?
    /// Conformance echo endpoint: the message each echo connection is collecting.
    var echoMessages: [SessionID: [UInt8]] = [:]
    /// Conformance echo endpoint: compresses echoes for clients that negotiated permessage-deflate.
    lazy var echoDeflater = MessageDeflater(windowBits: configuration.perMessageDeflate.serverMaxWindowBits)
    @exclusivity(unchecked) var encoder = MessageEncoder()
    /// The array every connection's WebSocket layer unmasks payloads into (see
    /// `WebSocketConnection.nextEvent(reusing:)`; the connection hands it back after each
    /// message): one per node, so no allocation per frame and no memory per connection.
    @exclusivity(unchecked) var webSocketPayloadScratch: [UInt8] = []
    /// The array a connection collects one frame's session actions in (see
    /// `ClientConnection.receive`): taken and handed back emptied, so a SEND allocates none.
    @exclusivity(unchecked) var sessionActionScratch: [SessionAction] = []
    /// The last publication's JSON message, shared by its JSON subscribers.
    var jsonFrames = JSONFrameCache()
    /// The node-wide budget for buffered bytes and its flow-control watermarks.
    let budget: MemoryBudget
    let publisherGate: PublisherGate
    let slowConsumerRule: SlowConsumerRule
    /// Publishers not being read because their subscribers are behind.
    /// Publishers not being read (flow control), with the loop time each was paused at.
    var flowPausedPublishers: [SessionID: UInt64] = [:]
    /// Connections not read because their partial frames held more than their share while the
    /// node was above the high watermark (`MemoryBudget.shouldPauseReader`).
    var budgetPausedReaders: Set<SessionID> = []
    /// Readers let through to finish their frames while paused partial frames alone keep the
    /// node above the high watermark (`ReaderResumption.largestAlone`), with the bytes each held
    /// at the last look (to see whether it is still reading).
    var budgetPassingReaders: [SessionID: Int] = [:]
    /// The largest output backlog among the subscribers the current SEND reached, and whose.
    @exclusivity(unchecked) var slowestDelivery: (bytes: Int, session: SessionID) = (0, 0)
    /// Loop time and total of the last budget enforcement (it scans connections).
    var lastBudgetEnforcement: (at: UInt64, total: Int) = (.max, 0)
    /// Local subscribers per topic/user interest, with the grace period before withdrawal.
    var interests: InterestTracker
    /// Where each subscription (session → subscription id) registered, so leaving it updates
    /// the cluster tables.
    var subscriptionRoutes: [SessionID: [String: ClusterRoute]] = [:]
    /// Shared queues this node takes messages from.
    var queueInterest: Set<String> = []
    var pullsInFlight: Set<String> = []
    var lastEnvelopeNumber: UInt64 = 0
    /// Which backend each application destination goes to.
    var applicationRouter: ApplicationRouter
    /// Clients' subscriptions to application destinations (`@SubscribeMapping`), per session.
    var applicationSubscriptions: [SessionID: [String: ApplicationSubscription]] = [:]
    /// Users present in watched destinations here, and the subscriptions that count.
    var presence: PresenceTracker
    var presenceMemberships: [SessionID: [String: PresenceTracker.Member]] = [:]
    /// Offline user messages (`offline.*`); nil when off.
    let offline: OfflineDelivery?
    /// Carries calls of webhook routes to their backend; nil: webhook routes answer with an ERROR.
    public var webhookDispatcher: (any ApplicationWebhookDispatcher)?
    /// Handles calls of `.inProcess` routes (an embedding program's closures).
    public var inProcessHandler: (any ApplicationCallHandler)?
    /// The node's own webhook client (webhook routes, connect and event hooks); nil when nothing calls HTTP.
    var webhooks: WebhookDispatcher?
    var lastReport: (at: UInt64, framesIn: UInt64, messagesOut: UInt64) = (0, 0, 0)
    let startedAtWallClock: Int64
    /// The node's recent rates for the dashboard chart; one sample per heartbeat.
    var history: AdminHistory
    var nextSessionID: SessionID = 1
    private var webSocketListener: TCPListener?
    private var stompListener: TCPListener?
    /// Listeners of endpoints with a port of their own, by endpoint name.
    var endpointListeners: [String: TCPListener] = [:]
    private var ticker: Timer?
    private var heartbeat: Timer?
    var signals: [SignalWatcher] = []
    /// Latency histograms and the delivery sampling state.
    @exclusivity(unchecked) var latency: LatencyMetrics
    /// Budget of the session lifecycle lines (`log.session-lines-per-second`).
    var sessionLineBudget: LineBudget
    /// The server certificate for TLS listeners; replaced on SIGHUP (open connections keep theirs).
    var tlsContext: TLSContext?
    private var shutdownTimer: Timer?
    /// Connections paused by their inbound rate limits, with the loop time their debt is paid.
    var rateResumes: [SessionID: UInt64] = [:]
    /// Fires at the earliest of `rateResumes` (one timer for the node, none per connection).
    var rateResumeTimer: Timer?
    /// Runs while publishers are paused by flow control (`armFlowResumeTimer`).
    var flowResumeTimer: Timer?
    private var admin: AdminEndpoint?
    var api: OneRequestServer?
    public private(set) var isShuttingDown = false

    /// A node on its own loop. `bus` nil: the configuration decides (Redis when
    /// `redisURL` is set, otherwise a lone in-memory node).
    public init(configuration: NodeConfiguration, logger: Logger, loop: EventLoop? = nil, bus: (any ClusterBus)? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let loop = try loop ?? EventLoop()
        self.loop = loop
        self.authenticator = configuration.authenticator
        self.handshakePolicy = configuration.handshakePolicy
        self.access = try AccessControl(configuration: configuration)
        let endpoints = configuration.effectiveEndpoints
        self.webSocketEndpoints = WebSocketRoutes(
            endpoints: endpoints.filter { $0.kind == .webSocket && $0.port == nil }, configuration: configuration, fallback: configuration.handshakePolicy)
        self.stompEndpoint = endpoints.first { $0.kind == .stomp }
        if configuration.newConnectionsPerSecond > 0 {
            let rate = Double(configuration.newConnectionsPerSecond)
            self.acceptBucket = TokenBucket(ratePerSecond: rate, burst: 2 * rate, now: loop.nowMilliseconds)
        }
        self.encoder = MessageEncoder(deflateWindowBits: configuration.perMessageDeflate.serverMaxWindowBits)
        let nodeID = configuration.nodeID ?? Node.defaultNodeID()
        self.bus = try bus ?? Node.makeBus(configuration: configuration, nodeID: nodeID, loop: loop, logger: logger)
        self.history = AdminHistory(capacity: configuration.adminHistorySamples)
        self.sessionLineBudget = LineBudget(perSecond: configuration.sessionLogLinesPerSecond)
        self.latency = LatencyMetrics(every: configuration.latencySampleEvery)
        self.broker = LocalBroker(
            prefixes: configuration.prefixes, limits: configuration.broker, syntax: configuration.destinationSyntax,
            messageIDPrefix: self.bus.nodeID + "-")
        self.applicationRouter = ApplicationRouter(settings: configuration.applications, syntax: configuration.destinationSyntax)
        self.presence = PresenceTracker(watched: configuration.presenceDestinations, suffix: configuration.presenceSuffix, syntax: configuration.destinationSyntax)
        self.interests = InterestTracker(graceMilliseconds: configuration.interestGraceMilliseconds)
        self.offline = configuration.offline.isEnabled ? OfflineDelivery(settings: configuration.offline, userPrefix: configuration.prefixes.user) : nil
        let budget = Node.makeBudget(configuration)
        self.budget = budget
        self.slowConsumerRule = SlowConsumerRule(
            limitBytes: configuration.maxOutputBufferBytes, graceMilliseconds: configuration.slowConsumerGraceMilliseconds)
        // A subscriber is behind at a quarter of its own limit: publishers stop before it gets there.
        self.publisherGate = PublisherGate(budget: budget, behindBytes: max(1, configuration.maxOutputBufferBytes / 4),
                                           maxPauseMilliseconds: UInt64(configuration.maxPublisherPauseMilliseconds))
        self.startedAtWallClock = Node.wallClockMilliseconds()
    }

    /// host-pid-random: unique enough for nodes started on one machine at the same moment.
    static func defaultNodeID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host.isEmpty ? "node" : host)-\(getpid())-\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
    }

    static func wallClockMilliseconds() -> Int64 {
        WallClock.milliseconds()
    }

    var advertisedAddress: String {
        configuration.advertisedAddress ?? "\(configuration.host):\(webSocketPort ?? configuration.webSocketPort)"
    }

    var now: UInt64 { loop.nowMilliseconds }
    /// Wall-clock Unix seconds (token `exp`, `nbf`, `iat`).
    var unixSeconds: Int64 { Node.wallClockMilliseconds() / 1000 }

    /// Ports actually bound (useful with port 0 in tests).
    public var webSocketPort: Int? { webSocketListener?.port }
    public var stompPort: Int? { stompListener?.port }
    public var connectionCount: Int { connections.count }
    public var adminPort: Int? { admin?.port }
    public var apiPort: Int? { api?.port }

    /// Binds the listeners and installs the tick timer and SIGINT/SIGTERM handlers.
    public func start(handleSignals: Bool = true) throws {
        if let refusal = AccessControl.startupRefusal(configuration) { throw AccessControlError(description: refusal) }
        if let refusal = offlineStartupRefusal() { throw NodeStartError(refusal) }
        ignoreSIGPIPE()
        BufferedMemory.returnLargeBuffersOnFree()
        try loadTLSContext()
        webSocketListener = try TCPListener(loop: loop, host: configuration.host, port: configuration.webSocketPort) { [unowned self] tcp in
            if self.configuration.webSocketTLS { self.secure(tcp, listener: "websocket") }
            self.accept(tcp, transport: .webSocket)
        }
        try startEndpointListeners()
        if let port = configuration.stompPort {
            stompListener = try TCPListener(loop: loop, host: configuration.host, port: port) { [unowned self] tcp in
                if self.configuration.stompTLS { self.secure(tcp, listener: "stomp") }
                self.accept(tcp, transport: .rawSTOMP)
            }
        }
        let ticker = Timer(loop: loop)
        ticker.start(afterMilliseconds: configuration.tickMilliseconds, repeatMilliseconds: configuration.tickMilliseconds) { [unowned self] in
            self.tick()
        }
        self.ticker = ticker
        startSockJS()
        bus.delegate = self
        bus.start()
        startOffline()
        startWebhooks()
        lastReport = (now, 0, 0)
        let heartbeat = Timer(loop: loop)
        heartbeat.start(afterMilliseconds: 0, repeatMilliseconds: configuration.nodeHeartbeatMilliseconds) { [unowned self] in
            self.bus.report(self.makeReport(wallClockMilliseconds: Node.wallClockMilliseconds()))
        }
        self.heartbeat = heartbeat
        if let adminPort = configuration.adminPort {
            admin = try AdminEndpoint(
                loop: loop, host: configuration.adminHost, port: adminPort, token: configuration.adminToken,
                limits: configuration.http, dataSource: self, logger: logger)
            if configuration.adminTLS {
                admin?.secureConnection = { [unowned self] tcp in self.secure(tcp, listener: "admin") }
            }
        }
        try startAPI()
        if handleSignals {
            try installReloadSignal()
            for signal in [SIGINT, SIGTERM] {
                signals.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] number in
                    self.logger.notice("signal received, shutting down", metadata: ["signal": "\(number)"])
                    self.shutdown()
                })
            }
        }
        logStartup()
    }

    /// Runs the loop until shutdown has closed every handle, then closes the loop.
    public func run() throws {
        loop.run()
        try loop.close()
        logger.info("node stopped", metadata: ["connections.accepted": "\(counters.connectionsAccepted)"])
    }

    /// Stops accepting, says goodbye to every client (STOMP ERROR, WebSocket 1001), lets their
    /// output drain for a grace period, then closes what is left. Idempotent.
    public func shutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        webSocketListener?.close()
        stompListener?.close()
        webSocketListener = nil
        stompListener = nil
        for listener in endpointListeners.values { listener.close() }
        endpointListeners.removeAll()
        logger.info("shutting down", metadata: ["connections": "\(connections.count)"])
        for connection in connections.values {
            connection.terminate("server shutting down, please reconnect", closeCode: WebSocketCloseCode.goingAway)
        }
        let timer = Timer(loop: loop)
        timer.start(afterMilliseconds: configuration.shutdownGraceMilliseconds) { [unowned self] in
            for connection in self.connections.values { connection.tcp.close(afterFlush: false) }
        }
        shutdownTimer = timer
        finishShutdownIfIdle()
    }

    func finishShutdownIfIdle() {
        guard isShuttingDown, connections.isEmpty else { return }
        sockJS?.closeAll()
        ticker?.close()
        ticker = nil
        heartbeat?.close()
        heartbeat = nil
        admin?.close()
        admin = nil
        webhooks?.close()
        webhooks = nil
        api?.close()
        api = nil
        bus.stop()
        shutdownTimer?.close()
        shutdownTimer = nil
        rateResumeTimer?.close()
        rateResumeTimer = nil
        flowResumeTimer?.close()
        flowResumeTimer = nil
        for signal in signals { signal.close() }
        signals.removeAll()
    }

    private func tick() {
        let now = self.now
        for connection in connections.values { connection.tick(now: now) }
        sockJS?.tick()
        expireInterests()
        if bus.isClustered { pullQueuesWithRoom() }
        flowControlTick()
        resumePacedReplays()
        if let offline, now &- offline.lastMaintenance >= 1_000 {
            offline.lastMaintenance = now
            offline.store.maintain(now: now)
        }
    }

    private func logStartup() {
        let open = configuration.effectiveEndpoints.filter { $0.authentication?.contains(.selfNamed) == true }.map(\.name)
        if !open.isEmpty {
            logger.warning("open access: anyone may connect as any user (loopback only; configure auth.users-file or auth.jwt.* before binding elsewhere)",
                           metadata: ["endpoints": "\(open.joined(separator: ","))"])
        }
        if !configuration.defaultPolicyAllows && configuration.accessRules.isEmpty {
            logger.notice("authorization: no auth.rules, so every SEND and SUBSCRIBE is refused (auth.default-policy \(configuration.accessDefaultPolicy) off loopback)")
        }
        let ws = configuration.webSocketTLS ? "wss" : "ws", stomp = configuration.stompTLS ? "stomp+ssl" : "stomp"
        let http = configuration.adminTLS ? "https" : "http"
        var urls: [String] = []
        for endpoint in configuration.effectiveEndpoints where endpoint.kind == .webSocket {
            let scheme = endpoint.port == nil ? ws : (endpoint.tls ? "wss" : "ws")
            let port = endpoint.port == nil ? (webSocketPort ?? configuration.webSocketPort) : (endpointListeners[endpoint.name]?.port ?? endpoint.port!)
            urls += endpoint.paths.map { "\(scheme)://\(hostForURL):\(port)\($0)" }
        }
        if let stompPort { urls.append("\(stomp)://\(hostForURL):\(stompPort)") }
        if let port = admin?.port { urls.append("dashboard \(http)://\(configuration.adminHost):\(port)/") }
        if let port = api?.port { urls.append("api \(configuration.apiTLS ? "https" : "http")://\(configuration.apiHost):\(port)/api/status") }
        logger.notice("stampede node listening", metadata: [
            "node": "\(bus.nodeID)",
            "version": "\(BuildInfo.version)",
            "cluster": "\(configuration.redisURL.flatMap { RedisEndpoint(url: $0)?.description } ?? "none (single node, in-memory router)")",
            "urls": "\(urls.joined(separator: " "))",
            "max.connections": "\(configuration.maxConnections)",
            "max.buffered.bytes": "\(budget.maxBufferedBytes)",
            "flow.watermarks.bytes": "\(budget.highWatermarkBytes)/\(budget.lowWatermarkBytes)",
        ])
    }

    private var hostForURL: String { configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host }
}
