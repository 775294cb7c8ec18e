internal import SockJSServer
internal import Admin
internal import Broker
public import ClusterBus
internal import STOMPSession
internal import Logging
internal import STOMPWire
internal import OfflineMessages
internal import UVLoop

/// The node as a member of the cluster: what arrives from other nodes, shared queues, and the
/// node's report (heartbeat) for the admin view.
extension Node: ClusterBusDelegate {
    public func bus(didReceive envelope: Envelope) {
        counters.clusterMessagesIn += 1
        let sampleStart = beginDeliverySample(), deliveredBefore = counters.messagesOut
        defer { if sampleStart != 0 { endDeliverySample(sampleStart, cluster: true, deliveredBefore: deliveredBefore) } }
        if receiveSessionReply(envelope) { return }
        if let offline, offline.holds(envelope) { return }  // its destination's stored messages are being replayed
        do {
            let deliveries = try broker.publish(destination: envelope.destination, headers: envelope.headers, body: envelope.body)
            if deliveries.isEmpty, offline != nil { keepIfOffline(envelope) }
            dispatch(deliveries)
        } catch {
            logger.debug("cluster message refused", metadata: ["stomp.destination": "\(envelope.destination)", "reason": "\(error.message)"])
        }
    }

    public func bus(queueHasMessages queue: String) {
        pull(queue: queue)
    }

    public func bus(stateDidChange state: BusLinkState) {
        switch state {
        case .degraded(let reason):
            if clusterDegradedSince == nil { clusterDegradedSince = EventLoop.monotonicNanoseconds }
            logger.warning("cluster link degraded: local delivery continues", metadata: ["reason": "\(reason)"])
        case .connected:
            var metadata: Logger.Metadata = ["node": "\(bus.nodeID)"]
            if let since = clusterDegradedSince {
                metadata["down_ms"] = "\((EventLoop.monotonicNanoseconds &- since) / 1_000_000)"
                clusterDegradedSince = nil
            }
            logger.notice("cluster link up", metadata: metadata)
            // Register at once, not at the next heartbeat: a node that takes queue messages and
            // dies before its first report would never be declared dead, and what it took would
            // stay pending in Redis.
            bus.report(makeReport(wallClockMilliseconds: Node.wallClockMilliseconds()))
            handOverQueuesKeptDuringOutage()
            pullQueuesWithRoom()
        case .standalone:
            break
        }
    }

    public func bus(presenceEnded destination: String, user: String) {
        publishPresence(joined: false, destination: destination, user: user)
    }

    public func bus(didReceiveControl payload: [UInt8]) {
        receiveControl(payload)
    }

    public func bus(nodeDidDie nodeID: String) {
        logger.warning("cluster node declared dead", metadata: ["node": "\(nodeID)"])
        sockJS?.nodeDied(nodeID)
    }

    // MARK: Shared queues

    /// Takes as many messages of `queue` as this node's consumers have room for.
    func pull(queue: String) {
        guard bus.isClustered, !pullsInFlight.contains(queue) else { return }
        let room = min(broker.spareCapacity(ofQueue: queue), configuration.clusterPullBatch)
        guard room > 0 else { return }
        pullsInFlight.insert(queue)
        bus.pull(queue: queue, max: room) { [weak self] entries in
            guard let self else { return }
            self.pullsInFlight.remove(queue)
            self.accept(entries, queue: queue)
            if entries.count == room { self.pull(queue: queue) }
        }
    }

    func pullQueuesWithRoom() {
        for queue in broker.queuesWithConsumers { pull(queue: queue) }
    }

    private func accept(_ entries: [QueueEntry], queue: String) {
        guard !entries.isEmpty else { return }
        guard broker.hasConsumers(ofQueue: queue) else {
            // The consumers left while the pull was under way.
            bus.requeue(queue: queue, entries: entries)
            return
        }
        for entry in entries {
            let envelope = entry.envelope
            let publication = Publication(
                destination: envelope.destination, headers: envelope.headers, body: envelope.body,
                messageID: envelope.messageID, clusterEntry: entry.id, redelivered: envelope.redelivered,
                queue: envelope.destination == queue ? nil : queue)
            dispatch(broker.enqueueFromCluster(publication))
        }
        settleClusterEntries()
    }

    /// Removes from the shared queues what this node delivered for good.
    func settleClusterEntries() {
        guard bus.isClustered else { return }
        let settled = broker.takeSettledClusterEntries()
        guard !settled.isEmpty else { return }
        var byQueue: [String: [String]] = [:]
        for entry in settled { byQueue[entry.queue, default: []].append(entry.entry) }
        for (queue, ids) in byQueue { bus.settle(queue: queue, entryIDs: ids) }
    }

    /// Messages of a queue that lost its last consumer here go back for other nodes.
    /// Messages accepted locally while Redis was unreachable are appended to the shared queue.
    func giveBack(_ publications: [Publication], queue: String) {
        var entries: [QueueEntry] = []
        for publication in publications {
            let envelope = Envelope(
                sourceNode: bus.nodeID, messageID: publication.messageID, destination: publication.destination,
                headers: publication.headers, body: publication.body, redelivered: publication.redelivered)
            if let id = publication.clusterEntry {
                entries.append(QueueEntry(id: id, envelope: envelope))
            } else {
                bus.enqueue(envelope, queue: queue)
            }
        }
        if !entries.isEmpty { bus.requeue(queue: queue, entries: entries) }
    }

    /// After an outage: queue messages kept here for want of Redis go to the shared queue unless
    /// a local consumer will take them.
    private func handOverQueuesKeptDuringOutage() {
        for queue in broker.queueNames where !broker.hasConsumers(ofQueue: queue) {
            giveBack(broker.takeOrphanedMessages(ofQueue: queue), queue: queue)
        }
    }

    /// Sessions of `user` on the other nodes; nothing is asked (nil) for a lone node.
    func sessionsElsewhere(ofUser user: String, completion: @escaping (Int?) -> Void) {
        guard bus.isClustered else { return completion(nil) }
        bus.sessionsElsewhere(ofUser: user, completion: completion)
    }

    // MARK: Report

    /// This node's state for the cluster's admin view; published with every heartbeat.
    func makeReport(wallClockMilliseconds: Int64) -> NodeReport {
        let elapsed = max(1, now &- lastReport.at)
        let inRate = Double(counters.framesIn &- lastReport.framesIn) * 1000 / Double(elapsed)
        let outRate = Double(counters.messagesOut &- lastReport.messagesOut) * 1000 / Double(elapsed)
        lastReport = (now, counters.framesIn, counters.messagesOut)
        var users: [String: Int] = [:]
        var sessions: [ReportedSession] = []
        let wallNow = wallClockMilliseconds
        for connection in connections.values where connection.session.state == .connected {
            users[connection.session.principal, default: 0] += 1
            sessions.append(describe(connection, wallNow: wallNow))
        }
        var destinationUsers: [String: Set<String>] = [:]
        for (session, routes) in subscriptionRoutes {
            guard let user = connections[session]?.session.principal else { continue }
            for route in routes.values {
                // Offline destinations ride on topic channels but are users' own, not topics.
                if case .topic(let name, _) = route, offline?.destinations.user(of: name) == nil { destinationUsers[name, default: []].insert(user) }
            }
        }
        history.append(AdminRateSample(
            at: wallClockMilliseconds, connections: connections.count, subscriptions: broker.stats.subscriptions,
            messagesInPerSecond: inRate, messagesOutPerSecond: outRate))
        return NodeReport(
            id: bus.nodeID, address: advertisedAddress, version: Node.version,
            startedAt: startedAtWallClock, reportedAt: wallClockMilliseconds,
            connections: connections.count, subscriptions: broker.stats.subscriptions,
            messagesInPerSecond: inRate, messagesOutPerSecond: outRate, redis: bus.state.label,
            destinations: broker.topicSubscriberCounts, users: users,
            sessions: sessions.sorted { $0.id < $1.id }, destinationUsers: destinationUsers.mapValues { $0.sorted() })
    }
}
