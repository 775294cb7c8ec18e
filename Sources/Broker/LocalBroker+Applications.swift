public import STOMPWire
import Router

/// What application destinations need from the broker: services consume a route's queue
/// (named after the route pattern, outside the client-visible prefixes), application messages
/// enter that queue, and replies reach one session or one subscription only.
extension LocalBroker {
    /// Subscribes a backend service to the queue of an application route.
    public mutating func subscribe(_ key: SubscriptionKey, applicationQueue queue: String, ackMode: AckMode, prefetch: Int?) throws(BrokerError) -> [Delivery] {
        try checkNewSubscription(key)
        return register(key, route: .queue(name: queue), ackMode: ackMode, prefetch: prefetch)
    }

    /// Puts an application message (shown with its own `destination`) into its route's queue.
    public mutating func enqueue(applicationMessage destination: String, queue: String, headers: STOMPHeaders, body: [UInt8]) throws(BrokerError) -> [Delivery] {
        try enqueue(makePublication(destination, headers, body, queue: queue), queue: queue)
    }

    /// A message to `/user/<name>/...` delivered only to `session`'s matching subscriptions.
    public mutating func publish(destination: String, headers: STOMPHeaders, body: [UInt8], onlyTo session: SessionID) throws(BrokerError) -> [Delivery] {
        guard try kind(of: destination) == .user else { throw .forbiddenUserDestination(destination) }
        guard !syntax.isPattern(destination) else { throw .wildcardNotAllowed(destination) }
        let subscribers = userIndex.match(destination).filter { $0.key.session == session }
        guard !subscribers.isEmpty else {
            counters.published += 1
            return []
        }
        return fanOut(makePublication(destination, headers, body), to: subscribers)
    }

    /// One message straight to one subscription that the broker does not hold (the node keeps
    /// application subscriptions), shown with `destination`, auto-acknowledged.
    public mutating func directDelivery(to key: SubscriptionKey, destination: String, headers: STOMPHeaders, body: [UInt8]) -> Delivery {
        let publication = makePublication(destination, headers, body)
        counters.delivered += 1
        return Delivery(subscription: key, publication: publication, destination: destination, ackID: nil, redelivered: false)
    }

    /// Whether `key` is a subscription the broker holds.
    public func holds(_ key: SubscriptionKey) -> Bool { serialByKey[key] != nil }
}
