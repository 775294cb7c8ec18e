import Router

/// Where a subscription's messages come from.
enum Route: Sendable {
    /// A topic destination or pattern in the topic index.
    case topic(pattern: String)
    /// A queue destination; the subscription is one of its competing consumers.
    case queue(name: String)
    /// A /user destination: registered under the user's name, shown as subscribed.
    case user(registered: String, shown: String)
}

/// Everything the broker keeps about one subscription.
struct SubscriptionRecord: Sendable {
    let key: SubscriptionKey
    /// Unique per subscription within the broker; the first half of its ack ids.
    let serial: UInt64
    let route: Route
    let ackMode: AckMode
    /// Un-ACKed deliveries allowed (queues) or remembered (topics).
    let unackedLimit: Int
    /// Sequence of the last tracked topic delivery (the second half of its ack id).
    var lastTopicSequence: UInt64 = 0
    /// Client-ack topic deliveries that may still be ACKed or NACKed; never redelivered.
    var topicUnacked = UnackedLog<Publication>()

    var scope: QueueDispatcher<QueueConsumer, Publication>.AckScope {
        ackMode == .client ? .cumulative : .single
    }
}

/// A topic-index entry carrying what a delivery needs, so publishing looks nothing else up.
/// Identity is the serial alone.
struct TopicSubscriber: Hashable, Sendable {
    let key: SubscriptionKey
    let serial: UInt64
    let tracksAcks: Bool
    /// The /user form to show instead of the published destination.
    let shownDestination: String?

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.serial == rhs.serial }
    func hash(into hasher: inout Hasher) { hasher.combine(serial) }
}

/// A queue consumer: the subscription and its serial (for ack ids). Identity is the serial alone.
struct QueueConsumer: Hashable, Sendable {
    let key: SubscriptionKey
    let serial: UInt64

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.serial == rhs.serial }
    func hash(into hasher: inout Hasher) { hasher.combine(serial) }
}

/// Ack ids are `<subscription serial>-<sequence>`: unique per delivery, and they lead back to
/// the subscription without a table of every outstanding id.
enum AckID {
    static func format(serial: UInt64, sequence: UInt64) -> String {
        "\(serial)-\(sequence)"
    }

    static func parse(_ text: String) -> (serial: UInt64, sequence: UInt64)? {
        var serial: UInt64 = 0
        var sequence: UInt64 = 0
        var sawDash = false
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "-") {
                guard !sawDash, digits > 0 else { return nil }
                sawDash = true
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 19 else { return nil }
            let digit = UInt64(byte - UInt8(ascii: "0"))
            if sawDash { sequence = sequence * 10 + digit } else { serial = serial * 10 + digit }
            digits += 1
        }
        guard sawDash, digits > 0 else { return nil }
        return (serial, sequence)
    }
}
