public import STOMPWire
import Router

extension LocalBroker {
    /// Publishes a message; returns the deliveries it causes (none for a queue that buffers it).
    /// Throws for an unknown prefix, a wildcard destination, or a full reject-new queue.
    public mutating func publish(destination: String, headers: STOMPHeaders, body: [UInt8]) throws(BrokerError) -> [Delivery] {
        try publish(to: sendDestination(destination), headers: headers, body: body).deliveries
    }

    /// Publishes to a destination parsed once by `sendDestination(_:)`: no prefix test or
    /// wildcard scan of its string again. The deliveries are made as the caller reads them.
    /// `bodyIsKnownUTF8`: see `Publication.bodyIsKnownUTF8`.
    public mutating func publish(to target: SendDestination, headers: consuming STOMPHeaders, body: consuming [UInt8], bodyIsKnownUTF8: Bool = false) throws(BrokerError) -> Fanout {
        let destination = target.name
        switch target.kind {
        case .topic, .user:
            let subscribers = target.kind == .topic ? topicIndex.match(destination) : userIndex.match(destination)
            guard !subscribers.isEmpty else {
                // Nobody listens: accepted, but no publication is built.
                counters.published += 1
                return .none
            }
            return topicFanout(makePublication(destination, consume headers, consume body, bodyIsKnownUTF8: bodyIsKnownUTF8), to: subscribers)
        case .queue:
            return try enqueueOne(makePublication(destination, consume headers, consume body, bodyIsKnownUTF8: bodyIsKnownUTF8), queue: destination)
        }
    }

    /// Puts a publication into queue `destination`; its deliveries (none when buffered).
    mutating func enqueue(_ publication: Publication, queue destination: String) throws(BrokerError) -> [Delivery] {
        try enqueueOne(publication, queue: destination).deliveries
    }

    /// `enqueue` for the per-message path: at most one delivery, and no array for it.
    mutating func enqueueOne(_ publication: consuming Publication, queue destination: String) throws(BrokerError) -> Fanout {
        // No hash of the name while SENDs keep going to one queue (see `QueueTable`).
        let limits = limits
        let slot = queues.slot(of: destination) { Self.makeQueue(limits) }
        let outcome = queues[slot: slot].enqueue(consume publication)
        switch consume outcome {
        case .assigned(let assignment):
            return Fanout(single: delivery(from: consume assignment))
        case .buffered:
            return .none
        case .bufferedDroppingOldest(let dropped):
            counters.dropped += UInt64(dropped)
            return .none
        case .dropped:
            counters.dropped += 1
            return .none
        case .rejected:
            counters.published -= 1
            counters.rejected += 1
            if queues[destination]!.isIdle { queues[destination] = nil }
            throw .queueFull(destination)
        }
    }

    /// One delivery per subscriber sharing `publication`; ack ids only for client-ack ones.
    mutating func fanOut(_ publication: Publication, to subscribers: [TopicSubscriber]) -> [Delivery] {
        topicFanout(publication, to: subscribers).deliveries
    }

    /// `fanOut` with the deliveries left to be made as they are written; the ack ids of
    /// client-ack subscribers are taken now (an array only when there are some).
    mutating func topicFanout(_ publication: Publication, to subscribers: [TopicSubscriber]) -> Fanout {
        var ackIDs: [String?] = []
        for (index, subscriber) in subscribers.enumerated() where subscriber.tracksAcks {
            if ackIDs.isEmpty { ackIDs = Array(repeating: nil, count: subscribers.count) }
            ackIDs[index] = trackTopicDelivery(publication, serial: subscriber.serial)
        }
        counters.delivered += UInt64(subscribers.count)
        return .topic(publication, subscribers, ackIDs: ackIDs)
    }

    /// Remembers a client-ack topic delivery so its ACK/NACK is valid; the oldest is forgotten
    /// silently once the subscription's limit is reached (topic messages are never redelivered).
    mutating func trackTopicDelivery(_ publication: Publication, serial: UInt64) -> String? {
        guard records[serial] != nil else { return nil }
        records[serial]!.lastTopicSequence += 1
        let sequence = records[serial]!.lastTopicSequence
        if records[serial]!.topicUnacked.count >= records[serial]!.unackedLimit {
            records[serial]!.topicUnacked.removeFirst()
        }
        records[serial]!.topicUnacked.append(token: sequence, publication)
        return AckID.format(serial: serial, sequence: sequence)
    }

    mutating func makePublication(_ destination: String, _ headers: consuming STOMPHeaders, _ body: consuming [UInt8], queue: String? = nil, bodyIsKnownUTF8: Bool = false) -> Publication {
        lastMessageNumber += 1
        counters.published += 1
        return Publication(
            destination: destination, headers: headers, body: body,
            messageIDPrefix: messageIDPrefix, number: lastMessageNumber, queue: queue, bodyIsKnownUTF8: bodyIsKnownUTF8)
    }
}
