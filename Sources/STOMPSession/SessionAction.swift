public import STOMPWire
public import Broker

/// What a session asks its connection to do. The connection carries actions out in order.
public enum SessionAction: Sendable, Equatable {
    /// Encode and write a frame with the session's negotiated version.
    case send(STOMPFrame)
    /// Write one heart-beat EOL.
    case sendHeartBeat
    /// Ask the broker to do something. If it fails, the connection calls
    /// `STOMPSession.operationFailed(_:receipt:)` and drops the remaining actions.
    case perform(BrokerOperation, receipt: String?)
    /// Flush what was written, then close the connection.
    case close
}

/// A request to the broker, already validated by the session.
public enum BrokerOperation: Sendable, Equatable {
    case subscribe(id: String, destination: String, ackMode: AckMode, prefetch: Int?)
    case unsubscribe(id: String)
    case send(destination: String, headers: STOMPHeaders, body: [UInt8])
    /// STOMP 1.2: the MESSAGE's `ack` header value.
    case ack(id: String)
    case nack(id: String)
    /// STOMP 1.0/1.1: the MESSAGE's `message-id` (and `subscription`, absent in some 1.0 clients).
    case ackMessage(subscription: String?, messageID: String)
    case nackMessage(subscription: String?, messageID: String)
}
