public import STOMPWire
public import Router

/// Identifies one client session (one STOMP connection) within a node.
public typealias SessionID = UInt64

/// One subscription: the session and the `id` header of its SUBSCRIBE frame.
public struct SubscriptionKey: Hashable, Sendable {
    public var session: SessionID
    public var id: String

    /// The subscription `id` of `session`.
    public init(session: SessionID, id: String) {
        self.session = session
        self.id = id
    }
}

/// The STOMP `ack` header of a SUBSCRIBE.
public enum AckMode: String, Sendable {
    /// Delivered means consumed.
    case auto
    /// An ACK or NACK covers the named message and every earlier one of the subscription.
    case client
    /// An ACK or NACK covers only the named message.
    case clientIndividual = "client-individual"
}

/// The destination prefixes selecting topic, queue and per-user semantics.
public struct DestinationPrefixes: Sendable, Equatable {
    /// Broadcast: every matching subscription gets every message. Wildcards allowed.
    public var topic = "/topic/"
    /// Competing consumers: each message goes to one subscription.
    public var queue = "/queue/"
    /// Per-user destinations: `/user/queue/x` subscribed by U is reached by `/user/U/queue/x`.
    public var user = "/user/"

    /// The usual `/topic/`, `/queue/` and `/user/` prefixes.
    public init(topic: String = "/topic/", queue: String = "/queue/", user: String = "/user/") {
        self.topic = topic
        self.queue = queue
        self.user = user
    }

    /// All three prefixes, for error messages.
    var all: [String] { [topic, queue, user] }
}

/// Resource limits of a broker.
public struct BrokerLimits: Sendable, Equatable {
    /// Messages kept per queue while it has no consumer with capacity.
    public var queueBufferCapacity = 10_000
    /// What a full queue buffer does with one more message.
    public var queueOverflow: OverflowPolicy = .dropOldest
    /// Per-subscription prefetch (0 = unlimited); the SUBSCRIBE header `prefetch-count` wins.
    public var defaultPrefetch = 0
    /// Most subscriptions one session may hold.
    public var maxSubscriptionsPerSession = 1024
    /// Hard cap on un-ACKed deliveries per subscription, whatever its prefetch.
    public var maxUnackedPerSubscription = 10_000
    /// Distinct SEND destinations kept parsed (see `SendDestination`); the table empties when full.
    public var destinationTableCapacity = 10_000

    /// Limits with the documented defaults, any of them overridden.
    public init(
        queueBufferCapacity: Int = 10_000,
        queueOverflow: OverflowPolicy = .dropOldest,
        defaultPrefetch: Int = 0,
        maxSubscriptionsPerSession: Int = 1024,
        maxUnackedPerSubscription: Int = 10_000,
        destinationTableCapacity: Int = 10_000
    ) {
        self.queueBufferCapacity = queueBufferCapacity
        self.queueOverflow = queueOverflow
        self.defaultPrefetch = defaultPrefetch
        self.maxSubscriptionsPerSession = maxSubscriptionsPerSession
        self.maxUnackedPerSubscription = maxUnackedPerSubscription
        self.destinationTableCapacity = destinationTableCapacity
    }
}

/// One published message, shared by every delivery (never copied per subscriber).
public final class Publication: Sendable {
    /// The destination it was sent to.
    public let destination: String
    /// User headers of the SEND; the caller removes transport headers.
    public let headers: STOMPHeaders
    /// The message body.
    public let body: [UInt8]
    /// Unique per publication within the broker: `messageIDText`, followed by the decimal
    /// `messageNumber` when there is one. Kept in two parts and written out only where needed
    /// (the MESSAGE head writes the digits itself): building the String per message cost the
    /// per-message path about 800 instructions (issue 13).
    public var messageID: String { messageNumber.map { messageIDText + String($0) } ?? messageIDText }
    /// The message id, or its prefix when `messageNumber` is set.
    public let messageIDText: String
    /// The number ending the message id of a publication made by this broker; nil when the id
    /// came whole (from a cluster peer or the offline store).
    public let messageNumber: UInt64?
    /// For a queue message taken from the cluster's shared queue: its id there, so the node can
    /// settle it once delivered (and ACKed). Nil for messages that never left this node.
    public let clusterEntry: String?
    /// Already delivered once elsewhere (a cluster peer died or gave it back): every MESSAGE of
    /// it says `redelivered:true`.
    public let redelivered: Bool
    /// The queue holding it when that is not its destination: an application message
    /// (`/app/chat.send`) waits in its route's queue (`/app/chat.**`). Nil otherwise.
    public let queue: String?
    /// The body is known to be valid UTF-8 (it came in a WebSocket text message, which the
    /// node validated on the way in), so a MESSAGE of it is a text frame without validating
    /// it again. False: not known, the encoder checks.
    public let bodyIsKnownUTF8: Bool

    /// The queue this message is (or was) in, for queue messages.
    public var queueName: String { queue ?? destination }

    /// A publication as the broker (or a cluster peer) created it.
    public convenience init(destination: String, headers: STOMPHeaders, body: [UInt8], messageID: String, clusterEntry: String? = nil, redelivered: Bool = false, queue: String? = nil) {
        self.init(destination: destination, headers: headers, body: body, messageIDPrefix: messageID, number: nil,
                  clusterEntry: clusterEntry, redelivered: redelivered, queue: queue)
    }

    /// A publication whose message id is `messageIDPrefix` followed by `number` in decimal.
    public init(destination: String, headers: STOMPHeaders, body: [UInt8], messageIDPrefix: String, number: UInt64?, clusterEntry: String? = nil, redelivered: Bool = false, queue: String? = nil, bodyIsKnownUTF8: Bool = false) {
        self.queue = queue
        self.bodyIsKnownUTF8 = bodyIsKnownUTF8
        self.destination = destination
        self.headers = headers
        self.body = body
        self.messageIDText = messageIDPrefix
        self.messageNumber = number
        self.clusterEntry = clusterEntry
        self.redelivered = redelivered
    }
}

/// One publication to hand to one subscription as a MESSAGE frame.
public struct Delivery: Sendable {
    /// Whose subscription receives it.
    public var subscription: SubscriptionKey
    /// The shared message.
    public var publication: Publication
    /// The `destination` header when it is not the publication's: for /user deliveries the
    /// subscribed form (`/user/queue/x`). Nil for most deliveries, which then hold no copy of
    /// the destination (a retain and release per queue message, issue 13).
    public var shownDestination: String?
    /// The `ack` header value; nil for auto ack. Unique per delivery within the broker.
    public var ackID: String?
    /// True if this message was delivered before and taken back (NACK, unsubscribe, disconnect).
    public var redelivered: Bool

    /// The `destination` header to show.
    public var destination: String {
        get { shownDestination ?? publication.destination }
        set { shownDestination = newValue }
    }

    /// A delivery with every field given.
    public init(subscription: SubscriptionKey, publication: Publication, destination: String, ackID: String?, redelivered: Bool) {
        self.init(subscription: subscription, publication: publication, shownDestination: destination, ackID: ackID, redelivered: redelivered)
    }

    /// A delivery showing `shownDestination`, or the publication's destination when it is nil.
    public init(subscription: SubscriptionKey, publication: Publication, shownDestination: String?, ackID: String?, redelivered: Bool) {
        self.subscription = subscription
        self.publication = publication
        self.shownDestination = shownDestination
        self.ackID = ackID
        self.redelivered = redelivered
    }
}

/// Counters and gauges of a broker.
public struct BrokerStats: Sendable, Equatable {
    /// Sessions holding at least one subscription.
    public var sessions = 0
    /// Live subscriptions of every kind.
    public var subscriptions = 0
    /// Distinct topic destinations and patterns with subscribers (/user ones included).
    public var topicPatterns = 0
    /// Queues with a consumer or a pending message.
    public var queues = 0
    /// Messages waiting in queue buffers.
    public var queuedMessages = 0
    /// Deliveries awaiting ACK (queue and tracked topic deliveries).
    public var unackedMessages = 0
    /// Publications accepted so far.
    public var published: UInt64 = 0
    /// Deliveries handed out so far, redeliveries included.
    public var delivered: UInt64 = 0
    /// Redeliveries handed out so far.
    public var redelivered: UInt64 = 0
    /// Queue messages lost to the drop-oldest policy so far.
    public var dropped: UInt64 = 0
    /// Publications refused by the reject-new policy so far.
    public var rejected: UInt64 = 0

    /// All zero.
    public init() {}
}
