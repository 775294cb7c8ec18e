internal import UVLoop
internal import HTTPWire
internal import Broker
internal import STOMPSession
internal import STOMPWire
internal import Logging
internal import SockJSServer
internal import Auth

/// The node's connections: accepted (or refused at the limits), handed to another owner, closed
/// and counted, and how they are named in logs.
extension Node {

    /// A new client socket (or the in-process end of a SockJS session, with its `endpoint`).
    @discardableResult
    func accept(_ tcp: TCPConnection, transport: ClientConnection.Transport, routes: WebSocketRoutes? = nil,
                endpoint: EndpointConfiguration? = nil) -> ClientConnection? {
        if isShuttingDown || connections.count + (sockJS?.connectionCount ?? 0) >= configuration.maxConnections {
            counters.connectionsRefused += 1
            let reason = isShuttingDown ? "server shutting down" : "too many connections (limit \(configuration.maxConnections))"
            logger.warning("connection refused", metadata: ["peer": "\(tcp.peerAddress)", "reason": "\(reason)"])
            refuse(tcp, transport: transport, reason: reason)
            return nil
        }
        if acceptBucket != nil, !acceptBucket!.take(1, now: now) {
            counters.connectionsRefused += 1
            counters.rateLimited["new_connections", default: 0] += 1
            logger.info("connection refused", metadata: ["peer": "\(tcp.peerAddress)", "reason": "new connections per second limit"])
            refuse(tcp, transport: transport, reason: "too many new connections, retry shortly")
            return nil
        }
        counters.connectionsAccepted += 1
        let id = nextSessionID
        nextSessionID += 1
        let connection = ClientConnection(
            tcp: tcp, node: self, transport: transport, endpoint: endpoint ?? (transport == .rawSTOMP ? stompEndpoint : nil), sessionID: id, now: now)
        connection.webSocketRoutes = routes
        connections.insert(connection)
        tcp.delegate = connection
        logger.debug("connection accepted", metadata: ["peer": "\(tcp.peerAddress)", "stomp.session": "\(id)"])
        return connection
    }

    /// A connection whose first request is for SockJS: the SockJS transports take the socket,
    /// and the node forgets the connection without a session having begun.
    func handOff(_ connection: ClientConnection) {
        connections.removeValue(forKey: connection.id)
    }

    /// Over the limit: HTTP 503 for WebSocket clients, an ERROR frame for raw STOMP, then close.
    private func refuse(_ tcp: TCPConnection, transport: ClientConnection.Transport, reason: String) {
        switch transport {
        case .webSocket:
            tcp.enqueue(HTTPResponse.jsonError(status: 503, message: reason, headers: [("Retry-After", "1")]).encode())
        case .rawSTOMP, .sockJS:
            let frame = STOMPFrame(.ERROR, headers: [("message", reason), ("content-type", "text/plain")], body: Array(reason.utf8))
            tcp.enqueue(STOMPEncoder.encode(frame, version: .v1_2))
        }
        tcp.close(afterFlush: true)
    }

    /// The connection no longer counts against `limits.max-connections-per-user`.
    func uncountUser(of connection: ClientConnection) {
        guard let user = connection.countedUser else { return }
        connection.countedUser = nil
        sessionsPerUser[user, default: 1] -= 1
        if sessionsPerUser[user] == 0 { sessionsPerUser[user] = nil }
    }

    func connectionClosed(_ connection: ClientConnection, error: UVError?) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        echoMessages[connection.id] = nil
        uncountUser(of: connection)
        budgetPausedReaders.remove(connection.id)
        budgetPassingReaders[connection.id] = nil
        forgetSession(connection.id)
        if connection.wasConnected { notifyDisconnected(connection) }
        var metadata: Logger.Metadata = ["peer": "\(connection.tcp.peerAddress)", "stomp.session": "\(connection.id)"]
        if let error { metadata["error"] = "\(error)" }
        logger.debug("connection closed", metadata: metadata)
        if connection.didConnect {
            let reason = connection.closeReason
                ?? error.map { "connection lost: \($0)" }
                ?? (connection.session.state == .closed ? "client disconnected" : "peer closed the connection")
            logSessionClosed(connection, reason: reason)
        }
        finishShutdownIfIdle()
    }

    /// One line per refused handshake, CONNECT or frame: endpoint, client address (from a
    /// trusted proxy's header when there is one), user if known, the reason class. Never a
    /// token or passcode: reasons are fixed texts.
    func log(refused connection: ClientConnection, reason: String) {
        if connection.closeReason == nil { connection.closeReason = reason }
        var metadata: Logger.Metadata = [
            "peer": "\(connection.clientPeer)", "stomp.session": "\(connection.id)",
            "endpoint": "\(connection.endpointName)", "reason": "\(reason)",
        ]
        if let user = connection.identity?.user { metadata["user"] = "\(user)" }
        logger.info("client refused", metadata: metadata)
    }

    /// The client's address: the peer's, or from `X-Forwarded-For` / `Forwarded` when the peer
    /// is a configured trusted proxy (the last address the proxy appended).
    func clientAddress(peer peerText: String, head: HTTPRequestHead) -> String {
        let peerHost = peerText.hasPrefix("[") ? String(peerText.dropFirst().prefix { $0 != "]" }) : String(peerText.prefix { $0 != ":" })
        guard configuration.trustedProxies.contains(peerHost) else { return peerText }
        if let forwarded = head.header("x-forwarded-for"), let last = forwarded.split(separator: ",").last {
            return String(last.filter { $0 != " " })
        }
        if let forwarded = head.header("forwarded"),
           let part = forwarded.split(separator: ",").last?.split(separator: ";").first(where: { $0.lowercased().contains("for=") }) {
            return String(part.split(separator: "=", maxSplits: 1).last ?? "").filter { $0 != " " && $0 != "\"" }
        }
        return peerText
    }
}
