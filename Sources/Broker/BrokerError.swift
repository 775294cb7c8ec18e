/// Why the broker refused a SUBSCRIBE, UNSUBSCRIBE, SEND, ACK or NACK.
public enum BrokerError: Error, Sendable, Equatable {
    /// The destination starts with none of the configured prefixes (listed second).
    case unknownDestinationPrefix(String, validPrefixes: [String])
    /// A wildcard where only exact destinations are allowed (queues, /user, any SEND).
    case wildcardNotAllowed(String)
    /// A /user destination naming a user, or a session without a usable user name.
    case forbiddenUserDestination(String)
    /// The subscription id is already in use on this session.
    case duplicateSubscription(String)
    /// No subscription with this id on this session.
    case unknownSubscription(String)
    /// The session already holds the maximum number of subscriptions (given).
    case tooManySubscriptions(Int)
    /// The ack id is not an outstanding delivery of this session.
    case unknownAck(String)
    /// The queue's buffer is full and its policy rejects new messages.
    case queueFull(String)
    /// Refused by the node (application destinations, reply rules); the text is the message.
    case refusedByNode(String)

    /// Human-readable text for the STOMP ERROR frame's `message` header.
    public var message: String {
        switch self {
        case .unknownDestinationPrefix(let destination, let prefixes):
            "Unknown destination '\(destination)': it must start with \(prefixes.joined(separator: ", "))"
        case .wildcardNotAllowed(let destination):
            "Wildcards are not allowed in '\(destination)': only topic subscriptions may use them"
        case .forbiddenUserDestination(let destination):
            "Cannot subscribe to '\(destination)': user destinations are subscribed without a user name, by a logged-in user"
        case .duplicateSubscription(let id):
            "Subscription id '\(id)' is already in use on this connection"
        case .unknownSubscription(let id):
            "No subscription with id '\(id)' on this connection"
        case .tooManySubscriptions(let limit):
            "Too many subscriptions: at most \(limit) per connection"
        case .unknownAck(let id):
            "Unknown or already acknowledged ack id '\(id)'"
        case .queueFull(let destination):
            "Queue '\(destination)' is full; message rejected"
        case .refusedByNode(let message):
            message
        }
    }
}

extension BrokerError {
    /// The node refused the operation for a reason outside the broker (application routing,
    /// reply rules); the text goes into the ERROR frame as is.
    public static func refused(_ message: String) -> BrokerError { .refusedByNode(message) }
}
