import Router

/// What the cluster layer needs when queues are shared by several nodes: queue messages enter
/// from the cluster's shared queue instead of from local SENDs, and leave it once settled.
extension LocalBroker {
    /// Hands a message taken from the shared queue to this node's consumers (or their buffer).
    public mutating func enqueueFromCluster(_ publication: Publication) -> [Delivery] {
        let name = publication.queueName
        if queues[name] == nil { queues[name] = makeQueue() }
        // The node pulls only what its consumers can take, so buffering is rare (capacity
        // changed while the pull was under way); the message then waits for a free consumer.
        let outcome = queues[name]!.enqueue(publication)
        guard case .assigned(let assignment) = outcome else { return [] }
        return deliveries(from: [assignment])
    }

    /// How many more messages of `queue` this node's consumers could take now (`Int.max` when
    /// an auto-ack consumer is present); 0 without consumers.
    public func spareCapacity(ofQueue queue: String) -> Int {
        guard let dispatcher = queues[queue], !dispatcher.consumerList.isEmpty else { return 0 }
        return dispatcher.spareCapacity
    }

    /// True when this node has at least one consumer of `queue`.
    public func hasConsumers(ofQueue queue: String) -> Bool {
        !(queues[queue]?.consumerList.isEmpty ?? true)
    }

    /// Waiting messages of a queue that has no consumer left here: the cluster layer gives them
    /// back to the shared queue so another node's consumers get them.
    public mutating func takeOrphanedMessages(ofQueue queue: String) -> [Publication] {
        guard queues[queue] != nil, queues[queue]!.consumerList.isEmpty else { return [] }
        let orphans = queues[queue]!.removePending()
        if queues[queue]!.isIdle { queues[queue] = nil }
        return orphans
    }

    /// Cluster queue messages delivered for good since the last call.
    public mutating func takeSettledClusterEntries() -> [SettledEntry] {
        defer { settledClusterEntries.removeAll(keepingCapacity: true) }
        return settledClusterEntries
    }

    /// Every queue this node holds (with consumers or waiting messages).
    public var queueNames: [String] { Array(queues.byName.keys) }

    /// The queue names with consumers on this node.
    public var queuesWithConsumers: [String] {
        queues.byName.compactMap { $0.value.consumerList.isEmpty ? nil : $0.key }
    }

    /// Local subscribers per topic destination or pattern (for the cluster's admin view).
    public var topicSubscriberCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for record in records.values {
            if case .topic(let pattern) = record.route { counts[pattern, default: 0] += 1 }
        }
        return counts
    }
}

/// A queue message of the cluster that this node delivered for good.
public struct SettledEntry: Sendable, Equatable {
    public var queue: String
    public var entry: String

    public init(queue: String, entry: String) {
        self.queue = queue
        self.entry = entry
    }
}

/// Where a destination leads, as far as the cluster layer cares.
public enum ClusterRoute: Sendable, Equatable {
    /// A topic destination or (for subscriptions) pattern.
    case topic(String, isPattern: Bool)
    case queue(String)
    /// `/user/<name>/...` for a SEND; the subscriber's own name for a SUBSCRIBE.
    case user(String)
}

extension LocalBroker {
    /// Validates a SEND's destination and says where it goes (throws like `publish`).
    public func clusterRoute(ofSend destination: String) throws(BrokerError) -> ClusterRoute {
        if let known = destinationTable.lookUp(destination) { return known.route }
        return try parseSend(destination).route
    }

    /// A SEND's destination parsed once: looked up in the bounded destination table, parsed
    /// and stored there when new. Throws like `publish` (invalid destinations are not stored).
    public mutating func sendDestination(_ destination: String) throws(BrokerError) -> SendDestination {
        if let known = destinationTable.lookUp(destination) { return known }
        let parsed = try parseSend(destination)
        return destinationTable.store(destination, kind: parsed.kind, route: parsed.route)
    }

    /// Destinations currently held by the destination table (for tests and stats).
    public var storedSendDestinationCount: Int { destinationTable.entries.count }

    /// The kind and route of a SEND destination: the one place its string is scanned.
    private func parseSend(_ destination: String) throws(BrokerError) -> (kind: DestinationKind, route: ClusterRoute) {
        let kind = try kind(of: destination)
        guard !syntax.isPattern(destination) else { throw .wildcardNotAllowed(destination) }
        switch kind {
        case .topic:
            return (kind, .topic(destination, isPattern: false))
        case .queue:
            return (kind, .queue(destination))
        case .user:
            let rest = destination.utf8.dropFirst(prefixes.user.utf8.count)
            let name = rest.prefix { $0 != UInt8(ascii: "/") }
            return (kind, .user(String(Substring(name))))
        }
    }

    /// Where a SUBSCRIBE registered, for the cluster's interest tables (nil if unknown).
    public func clusterRoute(ofSubscription key: SubscriptionKey, user: String) -> ClusterRoute? {
        guard let serial = serialByKey[key], let record = records[serial] else { return nil }
        switch record.route {
        case .topic(let pattern): return .topic(pattern, isPattern: syntax.isPattern(pattern))
        case .queue(let name): return .queue(name)
        case .user: return .user(user)
        }
    }
}
