import Router

/// What offline user messages need from the broker: which `/user` destination a subscription
/// registered, deliveries of stored messages to that one subscription, and which of them the
/// client has ACKed (so the store deletes them).
extension LocalBroker {
    /// The registered form (`/user/bob/queue/inbox`) and ack mode of a `/user` subscription;
    /// nil for other subscriptions and unknown keys.
    public func userRegistration(of key: SubscriptionKey) -> (destination: String, ackMode: AckMode)? {
        guard let serial = serialByKey[key], let record = records[serial], case .user(let registered, _) = record.route else { return nil }
        return (registered, record.ackMode)
    }

    /// Delivers stored messages (their store id in `clusterEntry`) to subscription `key` only,
    /// in order; client-ack ones get ack ids whose ACK reports the store id
    /// (`takeSettledOfflineEntries`). Empty when the subscription is gone.
    public mutating func deliverStored(_ publications: [Publication], to key: SubscriptionKey) -> [Delivery] {
        guard let serial = serialByKey[key], let record = records[serial], case .user(_, let shown) = record.route else { return [] }
        var out: [Delivery] = []
        out.reserveCapacity(publications.count)
        for publication in publications {
            let ackID = record.ackMode == .auto ? nil : trackTopicDelivery(publication, serial: serial)
            out.append(Delivery(subscription: key, publication: publication, destination: shown, ackID: ackID, redelivered: publication.redelivered))
        }
        counters.delivered += UInt64(out.count)
        return out
    }

    /// Stored messages ACKed since the last call: (registered destination, store id).
    public mutating func takeSettledOfflineEntries() -> [SettledEntry] {
        defer { settledOfflineEntries.removeAll(keepingCapacity: true) }
        return settledOfflineEntries
    }

    /// True when some subscription of this node is registered at `/user` destination `registered`.
    public mutating func hasUserSubscribers(_ registered: String) -> Bool {
        !userIndex.match(registered).isEmpty
    }
}
