internal import Broker
internal import ClusterBus
internal import STOMPSession
internal import STOMPWire
internal import Applications
internal import Auth
internal import AccessRules
internal import FlowControl

/// Broker work for sessions: local routing through `LocalBroker`, cross-node routing through the
/// cluster bus, and the interest bookkeeping that ties the two together.
extension Node {
    /// What became of a session's broker request.
    enum OperationOutcome {
        case done
        /// The cluster has not confirmed a new interest yet: the connection holds its further
        /// actions (the RECEIPT among them) and input until `resume` runs.
        case waitForCluster
    }

    /// Carries out a session's broker request; deliveries it causes go out right away.
    /// The operation is consumed: a SEND's header and body arrays move into the publication.
    func perform(_ operation: consuming BrokerOperation, receipt: String? = nil, for connection: ClientConnection) throws(BrokerError) -> OperationOutcome {
        let session = connection.id
        defer { settleClusterEntries() }
        var isAck = false
        if case .ackMessage = operation { isAck = true }
        switch consume operation {
        case .subscribe(let id, let destination, let ackMode, let prefetch):
            try authorize(.subscribe, destination, for: identity(of: connection))
            if applicationRouter.isApplicationDestination(destination) {
                return try subscribeApplication(id: id, destination: destination, ackMode: ackMode, prefetch: prefetch, receipt: receipt, for: connection)
            }
            let key = SubscriptionKey(session: session, id: id)
            let user = connection.identity?.principal ?? connection.session.principal
            dispatch(try broker.subscribe(key, destination: destination, user: user, ackMode: ackMode, prefetch: prefetch))
            guard let route = broker.clusterRoute(ofSubscription: key, user: user) else { return .done }
            if case .user = route, offline != nil, let outcome = subscribeOffline(key, for: connection) { return outcome }
            subscriptionRoutes[session, default: [:]][id] = route
            if case .topic(_, false) = route { noteJoin(destination, id: id, of: connection) }
            return joinCluster(route, for: connection)
        case .unsubscribe(let id):
            let key = SubscriptionKey(session: session, id: id)
            if unsubscribeApplication(id: id, session: session) {
                leaveCluster(subscriptionRoutes[session]?.removeValue(forKey: id))
                return .done
            }
            dispatch(try broker.unsubscribe(key))
            noteLeave(id: id, session: session)
            leaveCluster(subscriptionRoutes[session]?.removeValue(forKey: id))
        case .send(let destination, let clientHeaders, let body):
            // The identity is made only when the destination was not judged before.
            let judged = try judgeSend(destination, for: self.identity(of: connection), from: connection)
            let headers = try stampSender(consume clientHeaders, user: connection.session.user)
            if judged.isApplication {
                try sendApplication(destination: destination, headers: headers, body: body, receipt: receipt, from: connection)
                return .done
            }
            if let reply = try sessionReply(in: headers, from: connection) {
                try routeReply(ApplicationReply(destination: destination, headers: headers, body: body, toSession: reply))
                return .done
            }
            let target: SendDestination
            if let known = judged.target {
                target = known
            } else {
                target = try broker.sendDestination(destination)
                judged.target = target
            }
            counters.messagesPublished += 1
            slowestDelivery = (0, 0)
            if let receipt, offline != nil {
                return try sendHoldingReceipt(to: target, headers: headers, body: body, receipt: receipt, from: connection)
            }
            try send(to: target, headers: consume headers, body: consume body, bodyIsKnownUTF8: connection.readsTextOnly)
            applyFlowControl(publisher: connection)
            return .done  // a SEND makes no room for queue messages: no pull on the per-message path
        case .ack(let id):
            dispatch(try broker.ack(session: session, ackID: id))
        case .nack(let id):
            dispatch(try broker.nack(session: session, ackID: id))
        case .ackMessage(let subscription, let messageID), .nackMessage(let subscription, let messageID):
            guard let ackID = broker.ackID(session: session, subscription: subscription ?? "", messageID: messageID) else {
                throw BrokerError.unknownAck(messageID)
            }
            if isAck {
                dispatch(try broker.ack(session: session, ackID: ackID))
            } else {
                dispatch(try broker.nack(session: session, ackID: ackID))
            }
        }
        if bus.isClustered { pullQueuesWithRoom() }  // an ACK or NACK may have made room
        if offline != nil { removeAckedOfflineMessages() }
        return .done
    }

    /// A SEND with a receipt on a node with offline storage. An offline destination's SEND holds
    /// its RECEIPT until the store answered: the RECEIPT then means delivered or kept, and a
    /// message that could not be kept gets an ERROR instead. (Apart from the plain path so that
    /// the variables the answer's closure shares are not boxed for every SEND.)
    private func sendHoldingReceipt(to target: SendDestination, headers: STOMPHeaders, body: [UInt8], receipt: String, from connection: ClientConnection) throws(BrokerError) -> OperationOutcome {
        var waiting = false
        var refusal: String?
        let storing = try send(to: target, headers: headers, body: body, bodyIsKnownUTF8: connection.readsTextOnly) { [weak connection] failure in
            guard waiting else { return refusal = failure }
            if let failure { connection?.failAfterCluster(failure, receipt: receipt) } else { connection?.resumeAfterCluster() }
        }
        if let refusal { throw .refused(refusal) }
        applyFlowControl(publisher: connection)
        guard storing else { return .done }
        waiting = true
        return .waitForCluster
    }

    /// The connection's identity for authorization: anonymous sessions get their own.
    func identity(of connection: ClientConnection) -> Identity {
        connection.identity ?? .anonymous(session: connection.id, endpoint: connection.endpointName)
    }

    /// The header every MESSAGE carries naming the authenticated sender (RabbitMQ's name).
    static let senderHeader = "user-id"

    /// Refuses what the authorization rules do not allow; the ERROR names destination and
    /// action, never the rule.
    func authorize(_ action: AccessAction, _ destination: String, for identity: Identity) throws(BrokerError) {
        guard !access.policy.allows(action, destination, for: identity) else { return }
        counters.accessDenied[action.rawValue, default: 0] += 1
        throw .refused("Access denied: may not \(action.rawValue) '\(destination)'")
    }

    /// What a SEND's destination is, decided once per run of SENDs to one destination (issue
    /// 13): the connection remembers the last one judged, so the next SEND there costs one
    /// string comparison instead of the application-prefix test, the authorization and the
    /// destination-table lookup. Identity, rules and prefixes are fixed for a connection's life,
    /// so the judgement cannot change. Only allowed destinations are remembered.
    func judgeSend(_ destination: String, for identity: @autoclosure () -> Identity, from connection: ClientConnection) throws(BrokerError) -> RememberedSend {
        if let remembered = connection.lastSend, remembered.destination == destination { return remembered }
        try authorize(.send, destination, for: identity())
        let judged = RememberedSend(destination: destination, isApplication: applicationRouter.isApplicationDestination(destination))
        connection.lastSend = judged
        return judged
    }

    /// The SEND's headers with the broker's `user-id` (the session's user; none for anonymous
    /// sessions). A client copy naming anyone else is refused; other nodes trust the header
    /// because only nodes write envelopes.
    func stampSender(_ headers: consuming STOMPHeaders, user: String?) throws(BrokerError) -> STOMPHeaders {
        var stamped = consume headers  // the SEND's own headers, moved (issue 13)
        // Only a SEND that names a sender pays for the removal; names are compared as bytes.
        let sender = Self.senderHeader
        let namesSender = stamped.indices.contains { stamped.hasName(sender, at: $0) }
        if namesSender {
            guard let user, stamped.indices.allSatisfy({ !stamped.hasName(sender, at: $0) || stamped.value(at: $0) == user }) else {
                counters.forgedSenders += 1
                throw .refused("The \(sender) header must be your own user name: the broker sets it")
            }
            stamped.removeAll { header in header.name == sender }
        }
        if let user { stamped.append(name: sender, value: user) }
        return stamped
    }

    /// A session is gone: its subscriptions leave the broker and the cluster.
    func forgetSession(_ session: SessionID) {
        dispatch(broker.disconnect(session))
        applicationSubscriptions[session] = nil
        noteLeaves(session: session)
        if let routes = subscriptionRoutes.removeValue(forKey: session) {
            for route in routes.values { leaveCluster(route) }
        }
        settleClusterEntries()
    }

    func dispatch(_ deliveries: [Delivery]) {
        guard !deliveries.isEmpty else { return }
        let now = self.now
        let outputLimit = slowConsumerRule.limitBytes
        var written: UInt64 = 0
        let alone = deliveries.count == 1
        for delivery in deliveries where deliver(delivery, alone: alone, now: now, outputLimit: outputLimit) { written += 1 }
        counters.messagesOut += written
    }

    /// `dispatch` of a SEND's deliveries, each made as it is written (see `Fanout`).
    func dispatch(_ fanout: Fanout) {
        guard !fanout.isEmpty else { return }
        let now = self.now
        let outputLimit = slowConsumerRule.limitBytes
        var written: UInt64 = 0
        let alone = fanout.count == 1
        fanout.forEach { delivery in
            if deliver(delivery, alone: alone, now: now, outputLimit: outputLimit) { written += 1 }
        }
        counters.messagesOut += written
    }

    /// Writes one delivery to its connection; false when it was not written (connection gone
    /// or a slow consumer cut).
    /// `alone`: no other delivery shares its publication (written in one piece, see `MessageEncoder.writeAlone`).
    private func deliver(_ delivery: Delivery, alone: Bool, now: UInt64, outputLimit: Int) -> Bool {
        let session = delivery.subscription.session
        // Unretained (see `ConnectionTable`).
        guard let connection = connections.unretained(session),
              let held = connection._withUnsafeGuaranteedRef({ $0.deliver(delivery, alone: alone, encoder: &encoder, now: now, outputLimit: outputLimit) })
        else { return false }
        // For publisher flow control: the subscriber furthest behind that this publication reached.
        if held > slowestDelivery.bytes { slowestDelivery = (held, session) }
        return true
    }

    // MARK: SEND

    /// Returns true when the message went to the offline store, which has not answered yet
    /// (`whenSettled` runs when it does, with the reason if the message was not kept).
    @discardableResult
    func send(destination: String, headers: STOMPHeaders, body: [UInt8], whenSettled: ((String?) -> Void)? = nil) throws(BrokerError) -> Bool {
        // Parsed once per distinct destination, not per message (issue 13).
        try send(to: broker.sendDestination(destination), headers: headers, body: body, whenSettled: whenSettled)
    }

    /// `send(destination:…)` to a destination already looked up. `bodyIsKnownUTF8`: see
    /// `Publication.bodyIsKnownUTF8`.
    @discardableResult
    func send(to target: SendDestination, headers: consuming STOMPHeaders, body: consuming [UInt8], bodyIsKnownUTF8: Bool = false, whenSettled: ((String?) -> Void)? = nil) throws(BrokerError) -> Bool {
        let sampleStart = beginDeliverySample(), deliveredBefore = counters.messagesOut
        defer { if sampleStart != 0 { endDeliverySample(sampleStart, cluster: false, deliveredBefore: deliveredBefore) } }
        if offline != nil, case .user = target.route, let storing = sendOffline(target, headers: headers, body: body, whenSettled: whenSettled) {
            return storing
        }
        guard bus.isClustered else {
            // Alone: the arrays move into the publication (no one else needs them), and the
            // destination's name and route are not copied (issue 13).
            dispatch(try broker.publish(to: target, headers: consume headers, body: consume body, bodyIsKnownUTF8: bodyIsKnownUTF8))
            return false
        }
        let destination = target.name
        let route = target.route
        if case .queue(let name) = route {
            if case .degraded = bus.state {
                // Redis is unreachable: keep the message here (local consumers get it now, the
                // rest is handed to the shared queue when the link is back) rather than lose it.
                dispatch(try broker.publish(to: target, headers: headers, body: body, bodyIsKnownUTF8: bodyIsKnownUTF8))
                return false
            }
            bus.enqueue(envelope(destination, headers, body), queue: name)
            return false
        }
        dispatch(try broker.publish(to: target, headers: copy headers, body: copy body, bodyIsKnownUTF8: bodyIsKnownUTF8))  // the envelope needs them too
        switch route {
        case .topic(let name, _): bus.publish(envelope(destination, headers, body), to: .destination(name))
        case .user(let name): bus.publish(envelope(destination, headers, body), to: .user(name))
        case .queue: break
        }
        return false
    }

    func envelope(_ destination: String, _ headers: STOMPHeaders, _ body: [UInt8]) -> Envelope {
        lastEnvelopeNumber += 1
        return Envelope(sourceNode: bus.nodeID, messageID: "\(bus.nodeID)-e\(lastEnvelopeNumber)", destination: destination, headers: headers, body: body)
    }

    // MARK: Interest

    /// Announces the node's interest at its first local subscriber.
    /// `whenConfirmed` runs once Redis confirmed the new interest, before the held actions go on
    /// (only when the outcome is `.waitForCluster`; otherwise the interest is already in place).
    func joinCluster(_ route: ClusterRoute, for connection: ClientConnection, whenConfirmed: (() -> Void)? = nil) -> OperationOutcome {
        switch route {
        case .queue(let name):
            guard bus.isClustered else { return .done }
            if queueInterest.insert(name).inserted { bus.setQueueInterest(name, active: true) }
            pull(queue: name)
            return .done
        case .topic, .user:
            guard bus.isClustered else { return .done }
            let interest = Self.interest(of: route)
            guard interests.add(interest) else { return .done }
            var confirmed = false
            var waiting = false
            bus.setInterest(interest, active: true) { [weak connection] in
                confirmed = true
                if waiting {
                    whenConfirmed?()
                    connection?.resumeAfterCluster()
                }
            }
            if confirmed { return .done }
            waiting = true
            return .waitForCluster
        }
    }

    /// Withdraws interest at the last local subscriber (after the grace period for topics).
    func leaveCluster(_ route: ClusterRoute?) {
        guard let route else { return }
        switch route {
        case .queue(let name):
            guard bus.isClustered, !broker.hasConsumers(ofQueue: name) else { return }
            queueInterest.remove(name)
            bus.setQueueInterest(name, active: false)
            giveBack(broker.takeOrphanedMessages(ofQueue: name), queue: name)
        case .topic, .user:
            guard bus.isClustered else { return }
            let interest = Self.interest(of: route)
            if interests.remove(interest, now: now) { bus.setInterest(interest, active: false, confirmed: nil) }
        }
    }

    /// Drops interests whose grace period passed with no subscriber coming back.
    func expireInterests() {
        for interest in interests.expire(now: now) { bus.setInterest(interest, active: false, confirmed: nil) }
    }

    static func interest(of route: ClusterRoute) -> Interest {
        switch route {
        case .topic(let name, let isPattern): isPattern ? .pattern(name) : .destination(name)
        case .user(let name): .user(name)
        case .queue(let name): .destination(name)
        }
    }
}

/// A SEND destination as `Node.judgeSend` found it: allowed, and an application destination
/// or one for the broker (its table entry, once looked up). A class so that a connection pays
/// one pointer for it, and nothing until its first SEND (idle memory per connection).
final class RememberedSend {
    let destination: String
    let isApplication: Bool
    var target: SendDestination?

    init(destination: String, isApplication: Bool) {
        self.destination = destination
        self.isApplication = isApplication
    }
}
