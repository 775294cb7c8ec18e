public import STOMPWire
import Router

extension LocalBroker {
    /// Publishes a message; returns the deliveries it causes (none for a queue that buffers it).
    /// Throws for an unknown prefix, a wildcard destination, or a full reject-new queue.
    public mutating func publish(destination: String, headers: [STOMPHeader], body: [UInt8]) throws(BrokerError) -> [Delivery] {
        try publish(to: sendDestination(destination), headers: headers, body: body)
    }

    /// Publishes to a destination parsed once by `sendDestination(_:)`: no prefix test or
    /// wildcard scan of its string again.
    public mutating func publish(to target: SendDestination, headers: [STOMPHeader], body: [UInt8]) throws(BrokerError) -> [Delivery] {
        let destination = target.name
        switch target.kind {
        case .topic, .user:
            let subscribers = target.kind == .topic ? topicIndex.match(destination) : userIndex.match(destination)
            guard !subscribers.isEmpty else {
                // Nobody listens: accepted, but no publication is built.
                counters.published += 1
                return []
            }
            return fanOut(makePublication(destination, headers, body), to: subscribers)
        case .queue:
            return try enqueue(makePublication(destination, headers, body), queue: destination)
        }
    }

    /// Puts a publication into queue `destination`; its deliveries (none when buffered).
    mutating func enqueue(_ publication: Publication, queue destination: String) throws(BrokerError) -> [Delivery] {
            // One hash of the name per message: the queue is changed through its index.
            var index = queues.index(forKey: destination)
            if index == nil {
                queues[destination] = makeQueue()
                index = queues.index(forKey: destination)
            }
            let outcome = queues.values[index!].enqueue(publication)
            switch outcome {
            case .assigned(let assignment):
                return [delivery(from: assignment)]
            case .buffered:
                return []
            case .bufferedDroppingOldest(let dropped):
                counters.dropped += UInt64(dropped)
                return []
            case .dropped:
                counters.dropped += 1
                return []
            case .rejected:
                counters.published -= 1
                counters.rejected += 1
                if queues[destination]!.isIdle { queues[destination] = nil }
                throw .queueFull(destination)
            }
    }

    /// One delivery per subscriber sharing `publication`; ack ids only for client-ack ones.
    mutating func fanOut(_ publication: Publication, to subscribers: [TopicSubscriber]) -> [Delivery] {
        var out: [Delivery] = []
        out.reserveCapacity(subscribers.count)
        for subscriber in subscribers {
            let ackID = subscriber.tracksAcks ? trackTopicDelivery(publication, serial: subscriber.serial) : nil
            out.append(Delivery(
                subscription: subscriber.key,
                publication: publication,
                destination: subscriber.shownDestination ?? publication.destination,
                ackID: ackID,
                redelivered: false))
        }
        counters.delivered += UInt64(subscribers.count)
        return out
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

    mutating func makePublication(_ destination: String, _ headers: [STOMPHeader], _ body: [UInt8], queue: String? = nil) -> Publication {
        lastMessageNumber += 1
        counters.published += 1
        return Publication(
            destination: destination, headers: headers, body: body,
            messageIDPrefix: messageIDPrefix, number: lastMessageNumber, queue: queue)
    }
}
