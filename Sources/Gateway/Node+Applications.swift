public import Applications
internal import Broker
internal import ClusterBus
internal import STOMPSession
internal import STOMPWire
internal import Logging
internal import Router
internal import UVLoop

/// Application destinations (`/app`): SENDs and SUBSCRIBEs that go to a backend instead of
/// subscribers, and the replies backends route back (to a topic, a user, one session or one
/// subscription). The decisions are `Applications`' (pure); this is only the wiring.
extension Node {
    /// A client's subscription to an application destination (`@SubscribeMapping`): held by the
    /// node, not the broker; it receives exactly one answer.
    struct ApplicationSubscription {
        var destination: String
        var answered = false
        /// Monotonic ns of the call (`stampede_app_round_trip_seconds{kind="subscribe"}`).
        var calledAt: UInt64 = EventLoop.monotonicNanoseconds
    }

    /// Internal envelope headers (never from clients, never delivered) naming the one session,
    /// and optionally subscription, a reply on a user channel is for.
    static let targetSessionHeader = "stampede-to-session"
    static let targetSubscriptionHeader = "stampede-to-subscription"

    /// Whether the session is a backend service: its identity has the service role, or its
    /// login is listed in `applications.service-users`.
    func isService(_ connection: ClientConnection) -> Bool {
        if let identity = connection.identity, identity.roles.contains(configuration.applications.serviceRole) { return true }
        guard let user = connection.session.user else { return false }
        return configuration.serviceUsers.contains(user)
    }

    func sender(of connection: ClientConnection) -> ApplicationSender {
        let identity = connection.identity
        return ApplicationSender(user: identity?.principal ?? connection.session.principal, nodeID: bus.nodeID, sessionID: connection.id,
                                 endpoint: identity?.endpoint ?? connection.endpointName, roles: (identity?.roles).map { $0.sorted() } ?? [])
    }

    // MARK: SEND and SUBSCRIBE from clients

    /// A SEND to an application destination: to one STOMP service (through the route's shared
    /// queue) or to the route's webhook.
    func sendApplication(destination: String, headers: STOMPHeaders, body: [UInt8], receipt: String?, from connection: ClientConnection) throws(BrokerError) {
        guard !configuration.destinationSyntax.isPattern(destination) else { throw .wildcardNotAllowed(destination) }
        noteApplicationRequest(headers: headers, from: connection)
        try hand(to: applicationRouter.decide(destination), kind: .send, destination: destination, headers: headers, body: body, receipt: receipt, from: connection)
    }

    /// A SUBSCRIBE to an application destination: a service consuming its route, or a client
    /// asking for a one-off answer (`@SubscribeMapping`).
    func subscribeApplication(id: String, destination: String, ackMode: AckMode, prefetch: Int?, receipt: String?, for connection: ClientConnection) throws(BrokerError) -> OperationOutcome {
        let key = SubscriptionKey(session: connection.id, id: id)
        try broker.checkNewSubscription(key)
        let held = applicationSubscriptions[connection.id]
        guard held?[id] == nil else { throw .duplicateSubscription(id) }
        guard (held?.count ?? 0) < configuration.broker.maxSubscriptionsPerSession else {
            throw .tooManySubscriptions(configuration.broker.maxSubscriptionsPerSession)
        }
        if isService(connection), let route = applicationRouter.serviceRoute(subscribedAs: destination) {
            dispatch(try broker.subscribe(key, applicationQueue: route.queueName, ackMode: ackMode, prefetch: prefetch))
            let clusterRoute = ClusterRoute.queue(route.queueName)
            subscriptionRoutes[connection.id, default: [:]][id] = clusterRoute
            return joinCluster(clusterRoute, for: connection)
        }
        guard !configuration.destinationSyntax.isPattern(destination) else {
            throw .refused(isService(connection)
                ? "Services subscribe to exactly one of the application route patterns: \(applicationRouter.servicePatterns.joined(separator: ", "))"
                : "Wildcards are not allowed in '\(destination)': an application subscription asks for one answer")
        }
        let decision = applicationRouter.decide(destination)
        applicationSubscriptions[connection.id, default: [:]][id] = ApplicationSubscription(destination: destination)
        // The answer comes back on the user's channel: hold it like a /user subscription does.
        let clusterRoute = ClusterRoute.user(connection.session.principal)
        subscriptionRoutes[connection.id, default: [:]][id] = clusterRoute
        // The call goes out once the cluster routes the user's channel here, so the answer cannot
        // overtake the subscription.
        let outcome = joinCluster(clusterRoute, for: connection) { [weak self, weak connection] in
            guard let self, let connection, connection.isOpen else { return }
            do throws(BrokerError) {
                try self.hand(to: decision, kind: .subscribe(subscriptionID: id), destination: destination, headers: [], body: [], receipt: receipt, from: connection)
            } catch {
                connection.apply(connection.session.operationFailed(error.message, receipt: receipt))
            }
        }
        if outcome == .done {
            try hand(to: decision, kind: .subscribe(subscriptionID: id), destination: destination, headers: [], body: [], receipt: receipt, from: connection)
        }
        return outcome
    }

    /// True (and the subscription gone) when `id` was an application subscription.
    func unsubscribeApplication(id: String, session: SessionID) -> Bool {
        guard applicationSubscriptions[session]?.removeValue(forKey: id) != nil else { return false }
        if applicationSubscriptions[session]?.isEmpty == true { applicationSubscriptions[session] = nil }
        return true
    }

    private func hand(to decision: ApplicationDecision, kind: ApplicationCall.Kind, destination: String, headers: STOMPHeaders, body: [UInt8],
                      receipt: String?, from connection: ClientConnection) throws(BrokerError) {
        switch decision {
        case .notApplication:
            throw .unknownDestinationPrefix(destination, validPrefixes: configuration.applications.prefixes)
        case .stompService(let route):
            let call = ApplicationCall(kind: kind, sender: sender(of: connection), destination: destination, route: route, headers: headers, body: body, receipt: receipt)
            counters.applicationCalls += 1
            try enqueueForServices(call)
        case .inProcess(let route):
            guard let handler = inProcessHandler else {
                throw .refused("no handler for '\(destination)' in this process")
            }
            counters.applicationCalls += 1
            handler.handle(ApplicationCall(kind: kind, sender: sender(of: connection), destination: destination, route: route, headers: headers, body: body, receipt: receipt))
        case .webhook(let route, let webhook):
            guard let dispatcher = webhookDispatcher else {
                throw .refused("webhook routes not available: '\(destination)' is routed to a webhook and this node has no webhook client")
            }
            counters.applicationCalls += 1
            dispatcher.dispatch(ApplicationCall(kind: kind, sender: sender(of: connection), destination: destination, route: route, headers: headers, body: body, receipt: receipt), to: webhook)
        }
    }

    /// The route's shared queue: exactly one service subscriber cluster-wide gets the call.
    private func enqueueForServices(_ call: ApplicationCall) throws(BrokerError) {
        let queue = call.route.queueName
        let headers = call.serviceHeaders
        if bus.isClustered {
            if case .degraded = bus.state {} else {
                bus.enqueue(envelope(call.destination, headers, call.body), queue: queue)
                return
            }
        }
        // A lone node, or Redis unreachable: the local broker holds it (handed to the shared
        // queue when the link is back, like any queue message).
        dispatch(try broker.enqueue(applicationMessage: call.destination, queue: queue, headers: headers, body: call.body))
    }

    // MARK: Replies

    /// A SEND that may be a service's reply: nil when it is an ordinary SEND; refused when a
    /// non-service uses the reply headers (or the node's internal ones).
    func sessionReply(in headers: STOMPHeaders, from connection: ClientConnection) throws(BrokerError) -> SessionReply? {
        // One pass, deciding by the first byte on every SEND: the node's headers start with
        // "s", the reply headers with "r"; only a SEND that may carry them pays for more.
        // The names are read as bytes: no String is made unless one is refused.
        var mayReply = false
        for index in headers.indices {
            switch headers.withName(at: index, { $0.first }) {
            case UInt8(ascii: "s"):
                let reserved = headers.withName(at: index) { $0.begins(with: "stampede-to-") }
                if reserved { throw .refused("header '\(headers.name(at: index))' is reserved for the node") }
            case UInt8(ascii: "r"):
                mayReply = true
            default:
                break
            }
        }
        guard mayReply else { return nil }
        switch SessionReply.parse(headers, senderIsService: isService(connection)) {
        case .success(let reply): return reply
        case .failure(let refusal): throw .refused(refusal.message)
        }
    }

    /// Routes a backend's message like a SEND: to a topic, a queue or a user (all sessions, every
    /// node), or with `toSession` to that one session (or subscription) only. Service replies,
    /// webhook responses and the HTTP API all come through here (`route(_:)` of
    /// `ApplicationReplyRouting` for code outside the node).
    func routeReply(_ reply: ApplicationReply) throws(BrokerError) {
        // The node's own routing headers never come from a backend.
        let headers = reply.headers.contains { $0.name.hasPrefix("stampede-to-") } ? reply.headers.filter { !$0.name.hasPrefix("stampede-to-") } : reply.headers
        guard let target = reply.toSession else {
            counters.messagesPublished += 1
            try send(destination: reply.destination, headers: headers, body: reply.body)
            return
        }
        guard case .user(let user) = try broker.clusterRoute(ofSend: reply.destination) else {
            throw .refused("a reply to one session is sent to /user/<name>/... (the app-user of the call)")
        }
        var delivered = SessionReply.deliveredHeaders(headers)
        counters.applicationReplies += 1
        if target.session.nodeID == bus.nodeID {
            deliverSessionReply(user: user, session: target.session.sessionID, subscription: target.subscription,
                                destination: reply.destination, headers: delivered, body: reply.body)
            return
        }
        guard bus.isClustered else {
            logger.debug("reply for another node dropped: no cluster", metadata: ["node": "\(target.session.nodeID)"])
            return
        }
        delivered.append(STOMPHeader(name: Self.targetSessionHeader, value: target.session.description))
        if let subscription = target.subscription { delivered.append(STOMPHeader(name: Self.targetSubscriptionHeader, value: subscription)) }
        bus.publish(envelope(reply.destination, delivered, reply.body), to: .user(user))
    }

    /// A user-channel envelope for one session: delivers it if the session is here. False when
    /// the envelope is an ordinary one.
    func receiveSessionReply(_ envelope: Envelope) -> Bool {
        guard let last = envelope.headers.last, last.name.hasPrefix("stampede-to-") else { return false }
        var headers = envelope.headers
        var subscription: String?
        if headers.last?.name == Self.targetSubscriptionHeader { subscription = headers.removeLast().value }
        guard headers.last?.name == Self.targetSessionHeader, let address = SessionAddress(headers.removeLast().value) else { return true }
        guard address.nodeID == bus.nodeID, case .user(let user)? = try? broker.clusterRoute(ofSend: envelope.destination) else { return true }
        deliverSessionReply(user: user, session: address.sessionID, subscription: subscription,
                            destination: envelope.destination, headers: headers, body: envelope.body)
        return true
    }

    private func deliverSessionReply(user: String, session: SessionID, subscription: String?, destination: String, headers: STOMPHeaders, body: [UInt8]) {
        guard let connection = connections[session], connection.session.principal == user else {
            logger.debug("reply for a session that is gone", metadata: ["stomp.session": "\(session)"])
            return
        }
        guard let subscription else {
            noteApplicationAnswer(headers: headers, to: connection)
            if let deliveries = try? broker.publish(destination: destination, headers: headers, body: body, onlyTo: session) { dispatch(deliveries) }
            return
        }
        guard let held = applicationSubscriptions[session]?[subscription], !held.answered else { return }
        applicationSubscriptions[session]?[subscription]?.answered = true
        noteSubscriptionAnswer(calledAt: held.calledAt)
        let key = SubscriptionKey(session: session, id: subscription)
        dispatch([broker.directDelivery(to: key, destination: held.destination, headers: headers, body: body)])
    }
}

extension Node: ApplicationReplyRouting {
    public var nodeID: String { bus.nodeID }

    public func route(_ reply: ApplicationReply) throws(ApplicationRoutingError) {
        do {
            try routeReply(reply)
            settleClusterEntries()
        } catch {
            throw ApplicationRoutingError(error.message)
        }
    }

    public func fail(_ call: ApplicationCall, message: String) {
        guard call.sender.nodeID == bus.nodeID, let connection = connections[call.sender.sessionID], connection.isOpen else { return }
        log(refused: connection, reason: message)
        connection.apply(connection.session.operationFailed(message, receipt: call.receipt))
    }

    /// Installs the webhook client (apps-http) and tells it where answers go.
    public func adopt(webhookDispatcher dispatcher: any ApplicationWebhookDispatcher) {
        webhookDispatcher = dispatcher
        dispatcher.attach(to: self)
    }
}
