internal import HTTPWire
internal import WebSocketWire
internal import SockJSWire
internal import SockJSServer
internal import UVLoop
internal import Admin
internal import Broker
internal import Auth
internal import ClusterBus
internal import Logging

/// SockJS on endpoints that say `sockjs=on`: requests under such an endpoint's path go to the
/// `SockJSServer`, and each SockJS session is an ordinary raw STOMP connection of the node over an
/// in-process stream pair, with the endpoint's rules: its Origins, its token sources (a token in
/// the URL, as browsers' SockJS cannot set headers), its roles.
extension Node {
    func startSockJS() {
        guard configuration.effectiveEndpoints.contains(where: \.sockJS) || configuration.conformanceSockJSPath != nil else { return }
        let server = SockJSServer(
            loop: loop, options: configuration.sockJS.session,
            limits: SockJSLimits(maxSessions: configuration.sockJS.maxSessions, http: configuration.http,
                                 idleMilliseconds: configuration.connectTimeoutMilliseconds),
            webSocketLimits: configuration.webSocket, clock: { [unowned self] in self.now }, sha1: LibCrypto.sha1)
        server.openSession = { [unowned self] mount, request, peer in self.openSockJSSession(mount: mount, request: request, peer: peer) }
        if bus.isClustered {
            // No sticky sessions: a session's requests may reach any node; the owner answers them.
            let bus = self.bus
            server.cluster = SockJSCluster(
                nodeID: bus.nodeID,
                claim: { name, takeOver, completion in bus.claim(name, takeOver: takeOver, completion: completion) },
                owner: { name, completion in bus.owner(of: name, completion: completion) },
                release: { name in bus.release(name) },
                relay: { message, node in bus.sendControl(message.encoded, to: node) })
        }
        sockJS = server
    }

    func openSockJSSession(mount: SockJSMount, request: HTTPRequestHead, peer: String) -> Result<TCPConnection, SockJSRefusal> {
        guard !isShuttingDown else { return .failure(SockJSRefusal(status: 503, message: "server shutting down")) }
        guard let endpoint = configuration.effectiveEndpoints.first(where: { $0.name == mount.endpointName }) else {
            return .failure(SockJSRefusal(status: 404, message: "no such endpoint"))
        }
        let client = clientAddress(peer: peer, head: request)
        func refuse(_ status: Int, _ reason: String) -> Result<TCPConnection, SockJSRefusal> {
            logger.info("client refused", metadata: ["peer": "\(client)", "endpoint": "\(endpoint.name)", "reason": "sockjs: \(reason)"])
            return .failure(SockJSRefusal(status: status, message: reason))
        }
        let origins = configuration.handshakePolicy(for: endpoint).allowedOrigins
        if let origin = request.header("origin"), !WebSocketHandshake.isNonBrowserOrigin(origin),
           !WebSocketHandshake.originAllowed(origin, patterns: origins) {
            return refuse(403, "origin not allowed")
        }
        let identity: Identity?
        switch access.handshakeIdentity(endpoint: endpoint, query: request.query, header: { request.header($0) }, now: unixSeconds) {
        case .failure(let refusal):
            counters.authenticationsRefused += 1
            return refuse(401, refusal.reason)
        case .success(let proven):
            identity = proven
        }
        let inner: TCPConnection, outer: TCPConnection
        do {
            (inner, outer) = try TCPConnection.pair(loop: loop)
        } catch {
            return refuse(503, "cannot open a session: \(error)")
        }
        guard let connection = accept(inner, transport: .sockJS, endpoint: endpoint) else {
            outer.close(afterFlush: false)
            return .failure(SockJSRefusal(status: 503, message: "too many connections, retry shortly"))
        }
        connection.handshakeIdentity = identity
        connection.forwardedAddress = client
        inner.startReadingPairEnd()
        if endpoint.wireProtocol == .json {
            connection.startJSON()
            guard connection.isOpen else {
                outer.close(afterFlush: false)  // the inner end is closing already
                return refuse(401, connection.closeReason ?? "refused")
            }
        }
        return .success(outer)
    }
}

extension Node {
    /// `/metrics` for the SockJS transports (nothing when no endpoint serves SockJS).
    var sockJSMetrics: [MetricSample] {
        guard let sockJS else { return [] }
        let counters = sockJS.counters
        var samples: [MetricSample] = [
            .init(name: "stampede_sockjs_sessions", help: "SockJS sessions open now.", type: .gauge, value: Double(sockJS.sessionCount)),
            .init(name: "stampede_sockjs_connections", help: "HTTP connections the SockJS transports hold now.", type: .gauge, value: Double(sockJS.connectionCount)),
        ]
        let results: [(String, UInt64)] = [("opened", counters.sessionsOpened), ("refused", counters.sessionsRefused),
                                           ("timed_out", counters.sessionsTimedOut), ("slow_consumer", counters.sessionsClosedSlow)]
        for (result, value) in results {
            samples.append(.init(name: "stampede_sockjs_sessions_total", help: "SockJS sessions by what became of them.", type: .counter,
                                 labels: [("result", result)], value: Double(value)))
        }
        for (result, value) in [("ok", counters.requests - counters.requestsRefused), ("refused", counters.requestsRefused)] {
            samples.append(.init(name: "stampede_sockjs_requests_total", help: "SockJS session requests (sends, polls, streams) by result.", type: .counter,
                                 labels: [("result", result)], value: Double(value)))
        }
        return samples
    }
}

extension WebSocketRoutes {
    /// The SockJS endpoint a request under its path belongs to; nil for anything else, and for
    /// WebSocket upgrades to the endpoint's own path or to `<path>/websocket`, which are plain
    /// WebSocket STOMP connections.
    func sockJSMount(for head: HTTPRequestHead) -> SockJSMount? {
        for mount in sockJSMounts {
            if head.path == mount.prefix {
                return head.tokens("upgrade").contains("websocket") ? nil : mount
            }
            if head.path.hasPrefix(mount.prefix), head.path.utf8.dropFirst(mount.prefix.utf8.count).first == UInt8(ascii: "/"),
               head.path != mount.prefix + "/websocket" {
                return mount
            }
        }
        return nil
    }
}
