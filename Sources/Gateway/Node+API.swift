internal import Applications
internal import Broker
internal import ClusterBus
internal import HTTPWire
internal import HTTPServer
internal import JSONMessages
internal import Logging
internal import ServerAPI
internal import STOMPWire
internal import SockJSServer
internal import STOMPSession
internal import WebSocketWire
internal import Auth
internal import UVLoop

/// The server HTTP API on the node: `ServerAPI` (pure) turns a request into an operation; here
/// it is carried out for the whole cluster. Messages are routed like SENDs (`routeReply`);
/// status, presence and subscribers come from the live nodes' reports (at most
/// `cluster.heartbeat-ms` old); a disconnect goes to the node holding the session as a control
/// message (`P:ctl:<node>`).
extension Node {
    func startAPI() throws {
        guard let port = configuration.apiPort else { return }
        var limits = configuration.http
        limits.maxBodyBytes = configuration.apiMaxBodyBytes
        let api = try OneRequestServer(name: "api", loop: loop, host: configuration.apiHost, port: port, limits: limits, logger: logger) {
            [unowned self] request, completion in self.handleAPI(request, completion)
        }
        api.maxConnections = 256
        if configuration.apiTLS { api.secureConnection = { [unowned self] tcp in self.secure(tcp, listener: "api") } }
        self.api = api
    }

    var apiPolicy: APIPolicy {
        var verifyBearer: (@Sendable (String) -> Bool)?
        if let verifier = access.verifier {
            // A JWT signed with the node's auth.jwt.* keys and carrying the API role.
            let role = configuration.apiRole
            verifyBearer = { token in
                guard case .success(let verified) = verifier.verify(token, now: Node.wallClockMilliseconds() / 1000) else { return false }
                return verified.roles.contains(role)
            }
        }
        return APIPolicy(keys: configuration.apiKeys, verifyBearer: verifyBearer, topicPrefix: configuration.prefixes.topic,
                         queuePrefix: configuration.prefixes.queue, userPrefix: configuration.prefixes.user, maxBatch: configuration.apiMaxBatch)
    }

    func handleAPI(_ request: HTTPRequest, _ completion: @escaping (HTTPResponse) -> Void) {
        switch APIRouting.route(request, policy: apiPolicy) {
        case .failure(let error):
            completion(APIResponses.error(error))
        case .success(let operation):
            perform(operation, completion)
        }
    }

    private func perform(_ operation: APIOperation, _ completion: @escaping (HTTPResponse) -> Void) {
        switch operation {
        case .route(let messages):
            defer { settleClusterEntries() }
            for (index, message) in messages.enumerated() {
                do {
                    try routeReply(ApplicationReply(destination: message.destination, headers: message.headers, body: message.body))
                } catch {
                    let prefix = messages.count > 1 ? "message \(index) (\(index) routed before it): " : ""
                    return completion(APIResponses.error(.badRequest(prefix + error.message)))
                }
            }
            completion(APIResponses.routed(messages.count))
        case .status(let offset, let limit):
            withReports(completion) { reports in
                var users: [String: Int] = [:]
                for report in reports { for (user, count) in report.users { users[user, default: 0] += count } }
                return APIResponses.status(users: users, offset: offset, limit: limit)
            }
        case .presence(let user):
            withReports(completion) { reports in
                var sessions: [APISessionView] = []
                for report in reports {
                    for session in report.sessions ?? [] where session.user == user {
                        sessions.append(APISessionView(session: "\(report.id)/\(session.id)", node: report.id,
                                                       endpoint: session.endpoint, connectedAt: session.connectedAt))
                    }
                }
                return APIResponses.presence(user: user, sessions: sessions)
            }
        case .subscribers(let destination, let includeUsers):
            withReports(completion) { reports in
                var nodes: [String: Int] = [:]
                var users: [String] = []
                for report in reports {
                    if let count = report.destinations[destination], count > 0 { nodes[report.id] = count }
                    users += report.destinationUsers?[destination] ?? []
                }
                return APIResponses.subscribers(destination: destination, nodes: nodes, users: includeUsers ? users : nil)
            }
        case .disconnectSession(let address, let reason):
            withReports(completion) { [self] reports in
                guard address.nodeID == bus.nodeID || reports.contains(where: { $0.id == address.nodeID }) else {
                    return APIResponses.error(APIError(status: 404, message: "no live node '\(address.nodeID)'"))
                }
                bus.sendControl(ControlMessage.disconnect(session: address.sessionID, user: nil, reason: reason).encoded, to: address.nodeID)
                return APIResponses.disconnected(nodes: [address.nodeID])
            }
        case .disconnectUser(let user, let reason):
            withReports(completion) { [self] reports in
                var nodes = Set(reports.filter { ($0.users[user] ?? 0) > 0 }.map(\.id))
                // The answering node knows its own sessions now, not only as of its last report.
                if connections.values.contains(where: { $0.session.principal == user }) { nodes.insert(bus.nodeID) }
                let payload = ControlMessage.disconnect(session: nil, user: user, reason: reason).encoded
                for node in nodes { bus.sendControl(payload, to: node) }
                return APIResponses.disconnected(nodes: Array(nodes))
            }
        }
    }

    private func withReports(_ completion: @escaping (HTTPResponse) -> Void, _ answer: @escaping ([NodeReport]) -> HTTPResponse) {
        bus.clusterView { result in
            switch result {
            case .success(let reports): completion(answer(reports))
            case .failure(let error): completion(APIResponses.error(APIError(status: 503, message: "cluster view unavailable: \(error.message)")))
            }
        }
    }

    // MARK: Control messages

    /// A control message from the bus: end local sessions (of one id, or of one user).
    func receiveControl(_ payload: [UInt8]) {
        if let sockJS, let relayed = SockJSRelayMessage(payload) { return sockJS.receive(relayed) }
        guard let message = ControlMessage(payload) else {
            logger.debug("malformed control message dropped")
            return
        }
        switch message {
        case .disconnect(let session, let user, let reason, let requester):
            endSessions(session: session, user: user, reason: reason, by: requester)
        }
    }

    /// The one way a session is ended on request (server API, dashboard, on this node or through
    /// the control channel): ERROR `message: <reason>`, WebSocket close 1008. Returns how many ended.
    @discardableResult
    func endSessions(session: UInt64?, user: String?, reason: String, by requester: ControlMessage.Requester) -> Int {
        let targets = connections.values.filter { connection in
            connection.isOpen && (session.map { connection.id == $0 } ?? true) && (user.map { connection.session.principal == $0 } ?? true)
        }
        for connection in targets {
            let metadata: Logger.Metadata = [
                "stomp.session": "\(connection.id)", "user": "\(connection.session.principal)", "peer": "\(connection.tcp.peerAddress)",
            ]
            switch requester {
            case .api: logger.notice("session disconnected through the server API", metadata: metadata)
            case .administrator: logger.notice("session disconnected by an administrator", metadata: metadata)
            }
            connection.terminate(reason, closeCode: WebSocketCloseCode.policyViolation)
        }
        return targets.count
    }
}

/// What travels on a node's control channel (JSON).
enum ControlMessage: Equatable {
    /// Who asked (for the log line): absent in messages from older nodes, which means the API.
    enum Requester: String {
        case api
        case administrator = "admin"
    }

    /// End the session with this id, or every session of `user` (both given: both must match).
    case disconnect(session: UInt64?, user: String?, reason: String, by: Requester = .api)

    var encoded: [UInt8] {
        switch self {
        case .disconnect(let session, let user, let reason, let requester):
            var fields: [String: JSONValue] = ["op": .string("disconnect"), "reason": .string(reason), "by": .string(requester.rawValue)]
            if let session { fields["session"] = .string(String(session)) }
            if let user { fields["user"] = .string(user) }
            return JSONValue.object(fields).encoded
        }
    }

    init?(_ payload: [UInt8]) {
        guard case .object(let fields)? = try? JSONValue.parse(payload), fields["op"] == .string("disconnect"),
              case .string(let reason)? = fields["reason"] else { return nil }
        var session: UInt64?
        if case .string(let text)? = fields["session"] {
            guard let number = UInt64(text) else { return nil }
            session = number
        }
        var user: String?
        if case .string(let text)? = fields["user"] { user = text }
        guard session != nil || user != nil else { return nil }
        var requester = Requester.api
        if case .string(let text)? = fields["by"] { requester = Requester(rawValue: text) ?? .api }
        self = .disconnect(session: session, user: user, reason: reason, by: requester)
    }
}
