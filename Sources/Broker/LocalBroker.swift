public import Router

/// The message broker of a single node: subscriptions, topics, queues, acknowledgements.
///
/// Pure and loop-confined: every call returns the deliveries it caused and the caller writes
/// them out. Destinations are chosen by prefix (`DestinationPrefixes`):
/// - topics: every matching subscription (exact or wildcard) gets each message;
/// - queues: competing consumers, one subscription per message, see `QueueDispatcher`;
/// - /user: `/user/queue/x` subscribed by user U is registered as `/user/U/queue/x`; a message
///   sent there reaches every such subscription of U (all sessions), shown as `/user/queue/x`.
public struct LocalBroker: Sendable {
    typealias Queue = QueueDispatcher<QueueConsumer, Publication>

    /// The prefixes selecting topic, queue and /user semantics.
    public let prefixes: DestinationPrefixes
    /// The resource limits in force.
    public let limits: BrokerLimits
    /// The wildcard syntax of topic patterns.
    public let syntax: DestinationSyntax
    /// Prepended to every message id.
    public let messageIDPrefix: String

    var topicIndex: SubscriptionIndex<TopicSubscriber>
    /// /user registrations: exact destinations only, kept apart from topics so no topic
    /// pattern can ever reach another user's destination.
    var userIndex: SubscriptionIndex<TopicSubscriber>
    var queues = QueueTable()
    var records: [UInt64: SubscriptionRecord] = [:]
    var serialByKey: [SubscriptionKey: UInt64] = [:]
    /// Subscription ids of each session, in subscription order.
    var sessions: [SessionID: [String]] = [:]
    var lastSerial: UInt64 = 0
    var lastMessageNumber: UInt64 = 0
    var counters = BrokerStats()
    /// Queue messages from the cluster that were delivered for good since the last
    /// `takeSettledClusterEntries()`: auto-ack deliveries and ACKed client-ack ones.
    var settledClusterEntries: [SettledEntry] = []
    /// Stored offline messages ACKed since the last `takeSettledOfflineEntries()`.
    var settledOfflineEntries: [SettledEntry] = []
    /// SEND destinations parsed once (see `SendDestination`).
    var destinationTable: DestinationTable

    /// An empty broker.
    public init(
        prefixes: DestinationPrefixes = .init(),
        limits: BrokerLimits = .init(),
        syntax: DestinationSyntax = .init(),
        messageIDPrefix: String = ""
    ) {
        self.prefixes = prefixes
        self.limits = limits
        self.syntax = syntax
        self.messageIDPrefix = messageIDPrefix
        topicIndex = SubscriptionIndex(syntax: syntax)
        userIndex = SubscriptionIndex(syntax: syntax)
        destinationTable = DestinationTable(capacity: limits.destinationTableCapacity)
    }

    /// Subscribes `key` to `destination` for `user` (needed for /user destinations); returns
    /// pending queue messages delivered at once. `prefetch` nil means `limits.defaultPrefetch`.
    public mutating func subscribe(
        _ key: SubscriptionKey,
        destination: String,
        user: String,
        ackMode: AckMode,
        prefetch: Int?
    ) throws(BrokerError) -> [Delivery] {
        try checkNewSubscription(key)
        return register(key, route: try subscriptionRoute(for: destination, user: user), ackMode: ackMode, prefetch: prefetch)
    }

    /// Refuses a subscription id in use and one subscription over the session's limit.
    public func checkNewSubscription(_ key: SubscriptionKey) throws(BrokerError) {
        guard serialByKey[key] == nil else { throw .duplicateSubscription(key.id) }
        let held = sessions[key.session]?.count ?? 0
        guard held < limits.maxSubscriptionsPerSession else {
            throw .tooManySubscriptions(limits.maxSubscriptionsPerSession)
        }
    }

    mutating func register(_ key: SubscriptionKey, route: Route, ackMode: AckMode, prefetch: Int?) -> [Delivery] {
        let requested = prefetch ?? limits.defaultPrefetch
        let cap = max(1, limits.maxUnackedPerSubscription)
        let unackedLimit = requested > 0 ? min(requested, cap) : cap

        lastSerial += 1
        let serial = lastSerial
        records[serial] = SubscriptionRecord(
            key: key, serial: serial, route: route, ackMode: ackMode, unackedLimit: unackedLimit)
        serialByKey[key] = serial
        sessions[key.session, default: []].append(key.id)

        switch route {
        case .topic(let pattern):
            topicIndex.insert(topicSubscriber(key, serial, ackMode, shown: nil), for: pattern)
            return []
        case .user(let registered, let shown):
            userIndex.insert(topicSubscriber(key, serial, ackMode, shown: shown), for: registered)
            return []
        case .queue(let name):
            let consumer = QueueConsumer(key: key, serial: serial)
            if queues[name] == nil { queues[name] = makeQueue() }
            let assignments = queues[name]!.addConsumer(consumer, acknowledges: ackMode != .auto, prefetch: unackedLimit)
            return deliveries(from: assignments)
        }
    }

    /// Ends subscription `key`; its un-ACKed queue messages are redelivered elsewhere or go
    /// back to the front of the queue.
    public mutating func unsubscribe(_ key: SubscriptionKey) throws(BrokerError) -> [Delivery] {
        guard let serial = serialByKey[key] else { throw .unknownSubscription(key.id) }
        if let position = sessions[key.session]?.firstIndex(of: key.id) {
            sessions[key.session]!.remove(at: position)
            if sessions[key.session]!.isEmpty { sessions[key.session] = nil }
        }
        guard let name = forget(serial) else { return [] }
        return removeConsumers([QueueConsumer(key: key, serial: serial)], from: name)
    }

    /// Ends every subscription of `session`; returns the redeliveries this causes to others.
    public mutating func disconnect(_ session: SessionID) -> [Delivery] {
        guard let ids = sessions.removeValue(forKey: session) else { return [] }
        // Group by queue so a session's consumers all leave before redelivery: none of them
        // may receive a message it can no longer take.
        var queueNames: [String] = []
        var leaving: [String: [QueueConsumer]] = [:]
        for id in ids {
            let key = SubscriptionKey(session: session, id: id)
            guard let serial = serialByKey[key], let name = forget(serial) else { continue }
            if leaving[name] == nil { queueNames.append(name) }
            leaving[name, default: []].append(QueueConsumer(key: key, serial: serial))
        }
        var out: [Delivery] = []
        for name in queueNames {
            out += removeConsumers(leaving[name]!, from: name)
        }
        return out
    }

    /// Current gauges and counters.
    public var stats: BrokerStats {
        var stats = counters
        stats.sessions = sessions.count
        stats.subscriptions = records.count
        stats.topicPatterns = topicIndex.patternCount + userIndex.patternCount
        stats.queues = queues.count
        stats.queuedMessages = queues.byName.values.reduce(0) { $0 + $1.pendingCount }
        stats.unackedMessages = queues.byName.values.reduce(0) { $0 + $1.unackedCount }
            + records.values.reduce(0) { $0 + $1.topicUnacked.count }
        return stats
    }

    /// Removes the record of `serial` and its topic registration; returns its queue name if it
    /// consumes from a queue (the caller removes it there).
    private mutating func forget(_ serial: UInt64) -> String? {
        guard let record = records.removeValue(forKey: serial) else { return nil }
        serialByKey[record.key] = nil
        let entry = topicSubscriber(record.key, serial, record.ackMode, shown: nil)
        switch record.route {
        case .topic(let pattern):
            topicIndex.remove(entry, for: pattern)
            return nil
        case .user(let registered, _):
            userIndex.remove(entry, for: registered)
            return nil
        case .queue(let name):
            return name
        }
    }

    private mutating func removeConsumers(_ consumers: [QueueConsumer], from name: String) -> [Delivery] {
        guard queues[name] != nil else { return [] }
        let assignments = queues[name]!.removeConsumers(consumers)
        if queues[name]!.isIdle { queues[name] = nil }
        return deliveries(from: assignments)
    }

    private func topicSubscriber(_ key: SubscriptionKey, _ serial: UInt64, _ ackMode: AckMode, shown: String?) -> TopicSubscriber {
        TopicSubscriber(key: key, serial: serial, tracksAcks: ackMode != .auto, shownDestination: shown)
    }

    func makeQueue() -> Queue {
        Self.makeQueue(limits)
    }

    static func makeQueue(_ limits: BrokerLimits) -> Queue {
        Queue(
            bufferCapacity: limits.queueBufferCapacity,
            overflow: limits.queueOverflow,
            maxUnackedPerConsumer: max(1, limits.maxUnackedPerSubscription))
    }

    /// Turns queue assignments into deliveries (ack ids from serial and token) and counts them.
    mutating func deliveries(from assignments: [Queue.Assignment]) -> [Delivery] {
        var out: [Delivery] = []
        out.reserveCapacity(assignments.count)
        for assignment in assignments { out.append(delivery(from: assignment)) }
        return out
    }

    /// The delivery of one assignment (counted as delivered).
    @inline(__always)
    mutating func delivery(from assignment: consuming Queue.Assignment) -> Delivery {
        let ackID = assignment.token.map {
            AckID.format(serial: assignment.consumer.serial, sequence: $0.rawValue)
        }
        if assignment.redelivered { counters.redelivered += 1 }
        if assignment.token == nil, let entry = assignment.message.clusterEntry {
            settledClusterEntries.append(SettledEntry(queue: assignment.message.queueName, entry: entry))
        }
        counters.delivered += 1
        return Delivery(
            subscription: assignment.consumer.key,
            publication: assignment.message,
            shownDestination: nil,
            ackID: ackID,
            redelivered: assignment.redelivered)
    }
}
