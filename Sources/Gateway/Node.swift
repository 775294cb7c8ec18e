public import Logging
public import UVLoop
internal import Broker
internal import STOMPSession
internal import WebSocketWire
internal import HTTPWire
internal import STOMPWire
internal import Glibc

/// A single Stampede node: listeners, connections, the broker and the lifecycle around them.
/// Create it on the thread that will call `run()`; everything it owns is confined to that thread.
public final class Node {
    public let configuration: NodeConfiguration
    public let logger: Logger
    public let loop: EventLoop
    public internal(set) var counters = NodeCounters()

    let authenticator: any Authenticator
    let handshakePolicy: WebSocketHandshakePolicy
    var broker: LocalBroker
    private var connections: [SessionID: ClientConnection] = [:]
    private var nextSessionID: SessionID = 1
    private var encoder = MessageEncoder()
    private var webSocketListener: TCPListener?
    private var stompListener: TCPListener?
    private var ticker: Timer?
    private var signals: [SignalWatcher] = []
    private var shutdownTimer: Timer?
    public private(set) var isShuttingDown = false

    public init(configuration: NodeConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.loop = try EventLoop()
        self.authenticator = configuration.authenticator
        self.handshakePolicy = configuration.handshakePolicy
        self.broker = LocalBroker(prefixes: configuration.prefixes, limits: configuration.broker, syntax: configuration.destinationSyntax)
    }

    var now: UInt64 { loop.nowMilliseconds }

    /// Ports actually bound (useful with port 0 in tests).
    public var webSocketPort: Int? { webSocketListener?.port }
    public var stompPort: Int? { stompListener?.port }
    public var connectionCount: Int { connections.count }

    /// Binds the listeners and installs the tick timer and SIGINT/SIGTERM handlers.
    public func start(handleSignals: Bool = true) throws {
        ignoreSIGPIPE()
        webSocketListener = try TCPListener(loop: loop, host: configuration.host, port: configuration.webSocketPort) { [unowned self] tcp in
            self.accept(tcp, transport: .webSocket)
        }
        if let port = configuration.stompPort {
            stompListener = try TCPListener(loop: loop, host: configuration.host, port: port) { [unowned self] tcp in
                self.accept(tcp, transport: .rawSTOMP)
            }
        }
        let ticker = Timer(loop: loop)
        ticker.start(afterMilliseconds: configuration.tickMilliseconds, repeatMilliseconds: configuration.tickMilliseconds) { [unowned self] in
            self.tick()
        }
        self.ticker = ticker
        if handleSignals {
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
        logger.info("shutting down", metadata: ["connections": "\(connections.count)"])
        for connection in Array(connections.values) {
            connection.terminate("server shutting down, please reconnect", closeCode: WebSocketCloseCode.goingAway)
        }
        let timer = Timer(loop: loop)
        timer.start(afterMilliseconds: configuration.shutdownGraceMilliseconds) { [unowned self] in
            for connection in self.connections.values { connection.tcp.close(afterFlush: false) }
        }
        shutdownTimer = timer
        finishShutdownIfIdle()
    }

    private func finishShutdownIfIdle() {
        guard isShuttingDown, connections.isEmpty else { return }
        ticker?.close()
        ticker = nil
        shutdownTimer?.close()
        shutdownTimer = nil
        for signal in signals { signal.close() }
        signals.removeAll()
    }

    // MARK: Connections

    private func accept(_ tcp: TCPConnection, transport: ClientConnection.Transport) {
        if isShuttingDown || connections.count >= configuration.maxConnections {
            counters.connectionsRefused += 1
            let reason = isShuttingDown ? "server shutting down" : "too many connections (limit \(configuration.maxConnections))"
            logger.warning("connection refused", metadata: ["peer": "\(tcp.peerAddress)", "reason": "\(reason)"])
            refuse(tcp, transport: transport, reason: reason)
            return
        }
        counters.connectionsAccepted += 1
        let id = nextSessionID
        nextSessionID += 1
        let connection = ClientConnection(tcp: tcp, node: self, transport: transport, sessionID: id, now: now)
        connections[id] = connection
        tcp.delegate = connection
        logger.debug("connection accepted", metadata: ["peer": "\(tcp.peerAddress)", "stomp.session": "\(id)"])
    }

    /// Over the limit: HTTP 503 for WebSocket clients, an ERROR frame for raw STOMP, then close.
    private func refuse(_ tcp: TCPConnection, transport: ClientConnection.Transport, reason: String) {
        switch transport {
        case .webSocket:
            tcp.enqueue(HTTPResponse.jsonError(status: 503, message: reason, headers: [("Retry-After", "1")]).encode())
        case .rawSTOMP:
            let frame = STOMPFrame(.ERROR, headers: [("message", reason), ("content-type", "text/plain")], body: Array(reason.utf8))
            tcp.enqueue(STOMPEncoder.encode(frame, version: .v1_2))
        }
        tcp.close(afterFlush: true)
    }

    func connectionClosed(_ connection: ClientConnection, error: UVError?) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        let redeliveries = broker.disconnect(connection.id)
        dispatch(redeliveries)
        var metadata: Logger.Metadata = ["peer": "\(connection.tcp.peerAddress)", "stomp.session": "\(connection.id)"]
        if let error { metadata["error"] = "\(error)" }
        logger.debug("connection closed", metadata: metadata)
        finishShutdownIfIdle()
    }

    func log(refused connection: ClientConnection, reason: String) {
        logger.info("client refused", metadata: [
            "peer": "\(connection.tcp.peerAddress)", "stomp.session": "\(connection.id)", "reason": "\(reason)",
        ])
    }

    private func tick() {
        let now = self.now
        for connection in Array(connections.values) { connection.tick(now: now) }
    }

    // MARK: Broker work

    /// Carries out a session's broker request; deliveries it causes go out right away.
    func perform(_ operation: BrokerOperation, for connection: ClientConnection) throws(BrokerError) {
        let session = connection.id
        switch operation {
        case .subscribe(let id, let destination, let ackMode, let prefetch):
            let key = SubscriptionKey(session: session, id: id)
            dispatch(try broker.subscribe(key, destination: destination, user: connection.session.principal, ackMode: ackMode, prefetch: prefetch))
        case .unsubscribe(let id):
            dispatch(try broker.unsubscribe(SubscriptionKey(session: session, id: id)))
        case .send(let destination, let headers, let body):
            counters.messagesPublished += 1
            dispatch(try broker.publish(destination: destination, headers: headers, body: body))
        case .ack(let id):
            dispatch(try broker.ack(session: session, ackID: id))
        case .nack(let id):
            dispatch(try broker.nack(session: session, ackID: id))
        case .ackMessage(let subscription, let messageID), .nackMessage(let subscription, let messageID):
            guard let ackID = broker.ackID(session: session, subscription: subscription ?? "", messageID: messageID) else {
                throw BrokerError.unknownAck(messageID)
            }
            if case .ackMessage = operation {
                dispatch(try broker.ack(session: session, ackID: ackID))
            } else {
                dispatch(try broker.nack(session: session, ackID: ackID))
            }
        }
    }

    func dispatch(_ deliveries: [Delivery]) {
        for delivery in deliveries {
            connections[delivery.subscription.session]?.deliver(delivery, encoder: &encoder)
        }
    }

    private func logStartup() {
        var urls = configuration.webSocketPaths.map { "ws://\(hostForURL):\(webSocketPort ?? configuration.webSocketPort)\($0)" }
        if let stompPort { urls.append("stomp://\(hostForURL):\(stompPort)") }
        logger.notice("stampede node listening", metadata: [
            "urls": "\(urls.joined(separator: " "))",
            "max.connections": "\(configuration.maxConnections)",
        ])
    }

    private var hostForURL: String { configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host }
}
