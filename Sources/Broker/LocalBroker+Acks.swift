import Router

extension LocalBroker {
    /// Acknowledges `ackID` of `session` (and earlier deliveries of its subscription in
    /// `client` mode); returns pending queue messages the freed capacity lets through.
    public mutating func ack(session: SessionID, ackID: String) throws(BrokerError) -> [Delivery] {
        try settle(session: session, ackID: ackID, redeliver: false)
    }

    /// Rejects `ackID` of `session` (and earlier deliveries in `client` mode). Queue messages
    /// are redelivered, flagged, to another subscription if one has room, else they go back to
    /// the front of the queue (so the NACKing subscription gets them again if it alone has
    /// room: requeue semantics). Topic messages are only forgotten.
    public mutating func nack(session: SessionID, ackID: String) throws(BrokerError) -> [Delivery] {
        try settle(session: session, ackID: ackID, redeliver: true)
    }

    /// STOMP 1.0/1.1 ACK: the ack id of the oldest outstanding delivery of `messageID` to
    /// subscription `subscription` of `session`; nil if there is none.
    public mutating func ackID(session: SessionID, subscription: String, messageID: String) -> String? {
        guard let serial = serialByKey[SubscriptionKey(session: session, id: subscription)],
              let record = records[serial]
        else { return nil }
        let sequence: UInt64?
        switch record.route {
        case .queue(let name):
            let consumer = QueueConsumer(key: record.key, serial: serial)
            sequence = queues[name]?.firstUnacked(of: consumer) { $0.messageID == messageID }?.rawValue
        case .topic, .user:
            sequence = record.topicUnacked.firstToken { $0.messageID == messageID }
        }
        return sequence.map { AckID.format(serial: serial, sequence: $0) }
    }

    private mutating func settle(session: SessionID, ackID: String, redeliver: Bool) throws(BrokerError) -> [Delivery] {
        guard let (serial, sequence) = AckID.parse(ackID),
              let record = records[serial], record.key.session == session, record.ackMode != .auto
        else { throw .unknownAck(ackID) }
        switch record.route {
        case .queue(let name):
            let consumer = QueueConsumer(key: record.key, serial: serial)
            let token = Queue.DeliveryToken(rawValue: sequence)
            if redeliver {
                guard let assignments = queues[name]?.nack(token, of: consumer, scope: record.scope) else { throw .unknownAck(ackID) }
                return deliveries(from: assignments)
            }
            guard let (assignments, settled) = queues[name]?.acknowledge(token, of: consumer, scope: record.scope) else {
                throw .unknownAck(ackID)
            }
            for publication in settled {
                if let entry = publication.clusterEntry { settledClusterEntries.append(SettledEntry(queue: name, entry: entry)) }
            }
            return deliveries(from: assignments)
        case .user(let registered, _):
            // Stored offline messages carry their store id: an ACK deletes them from the store,
            // a NACK leaves them there for the next subscription.
            let removed: [Publication]? = switch record.scope {
            case .single: records[serial]!.topicUnacked.remove(token: sequence).map { [$0] }
            case .cumulative: records[serial]!.topicUnacked.removeThrough(token: sequence)?.map(\.element)
            }
            guard let removed else { throw .unknownAck(ackID) }
            if !redeliver {
                for publication in removed {
                    if let entry = publication.clusterEntry { settledOfflineEntries.append(SettledEntry(queue: registered, entry: entry)) }
                }
            }
            return []
        case .topic:
            let found = switch record.scope {
            case .single: records[serial]!.topicUnacked.remove(token: sequence) != nil
            case .cumulative: records[serial]!.topicUnacked.discardThrough(token: sequence) != nil
            }
            guard found else { throw .unknownAck(ackID) }
            return []
        }
    }
}
