public import STOMPWire

/// How a subscription acknowledges its messages (the SUBSCRIBE `ack` header).
public enum AckMode: String, Sendable, CaseIterable {
    case auto
    case client
    case clientIndividual = "client-individual"
}

/// A live subscription as the session remembers it, to resubscribe after a reconnect.
public struct ClientSubscription: Sendable, Equatable {
    public var id: String
    public var destination: String
    public var ack: AckMode
    public var headers: [STOMPHeader]

    public init(id: String, destination: String, ack: AckMode, headers: [STOMPHeader] = []) {
        self.id = id
        self.destination = destination
        self.ack = ack
        self.headers = headers
    }
}

/// A SEND as the application asked for it (kept as such while disconnected).
public struct OutgoingSend: Sendable, Equatable {
    public var destination: String
    public var headers: [STOMPHeader]
    public var body: [UInt8]
    /// The RECEIPT to ask for, if the caller awaits one.
    public var receipt: String?

    public init(destination: String, headers: [STOMPHeader] = [], body: [UInt8] = [], receipt: String? = nil) {
        self.destination = destination
        self.headers = headers
        self.body = body
        self.receipt = receipt
    }
}

/// An ERROR frame from the server: its `message` header, the rest of its headers and its body.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var receiptID: String?
    public var headers: [STOMPHeader]
    public var body: [UInt8]

    public init(frame: STOMPFrame) {
        message = frame["message"] ?? "ERROR without a message header"
        receiptID = frame["receipt-id"]
        headers = Array(frame.headers)
        body = frame.body
    }

    public var description: String { message }
}

/// Why an operation of the client failed.
public enum ClientSessionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an ERROR frame.
    case server(ServerError)
    /// Sent while disconnected with the queue of waiting sends already full.
    case sendQueueFull(limit: Int)
    /// The operation needs a live connection (ACK/NACK ids and transactions do not survive one).
    case notConnected
    /// The client was closed (or gave up reconnecting); nothing more can be done with it.
    case closed
    /// The connection was lost before the RECEIPT (or answer) arrived; the frame may or may not
    /// have been processed.
    case connectionLost(String)
    /// The transport could not connect, or failed.
    case transport(String)
    /// The server broke the protocol (undecodable frame, unexpected CONNECTED, no common version).
    case protocolViolation(String)
    /// A heart-beat did not arrive in time.
    case heartBeatTimeout
    /// Nothing came back in time (`request` and awaited receipts).
    case timeout
    /// The subscription id is unknown or already in use.
    case unknownSubscription(String)
    case unknownTransaction(String)
    /// The URL given to the client cannot be used (the URL, then why).
    case invalidURL(String, String)

    public var description: String {
        switch self {
        case .server(let error): "server error: \(error.message)"
        case .sendQueueFull(let limit): "not connected and \(limit) sends already wait for the connection (raise maxQueuedSends or wait for the connection)"
        case .notConnected: "not connected"
        case .closed: "the client is closed"
        case .connectionLost(let reason): "connection lost: \(reason)"
        case .transport(let reason): "cannot connect: \(reason)"
        case .protocolViolation(let reason): "protocol violation by the server: \(reason)"
        case .heartBeatTimeout: "heart-beat timeout: the server went silent"
        case .timeout: "timed out"
        case .unknownSubscription(let id): "unknown subscription \(id)"
        case .unknownTransaction(let id): "unknown transaction \(id)"
        case .invalidURL(let url, let reason): "invalid URL \(url): \(reason)"
        }
    }
}

/// Where the session stands; every change is reported as `.stateChanged`.
public enum ClientConnectionState: Sendable, Equatable {
    /// Not started yet.
    case idle
    /// Transport opening or CONNECT sent; `attempt` counts from 1 since the last success.
    case connecting(attempt: Int)
    /// CONNECTED received.
    case connected(version: STOMPVersion, server: String?)
    /// Waiting `delayMilliseconds` before attempt `attempt`.
    case waitingToReconnect(attempt: Int, delayMilliseconds: UInt64, reason: ClientSessionError)
    /// DISCONNECT sent, waiting for its RECEIPT or the close.
    case disconnecting
    /// Final: closed by the application (nil) or given up (the reason).
    case closed(ClientSessionError?)
}

/// What the shell must do, in order.
public enum ClientAction: Sendable, Equatable {
    /// Open a transport connection (then call `transportOpened` or `transportClosed`).
    case openTransport
    /// Write these bytes (one STOMP frame or a heart-beat EOL).
    case write([UInt8])
    /// Close the transport (then call `transportClosed`).
    case closeTransport
    /// Call `reconnectDelayElapsed` after this many milliseconds.
    case scheduleReconnect(afterMilliseconds: UInt64)
    /// A MESSAGE for a live subscription.
    case deliver(subscription: String, message: STOMPFrame)
    /// The RECEIPT with this id arrived.
    case receipt(String)
    /// These awaited receipts will never come (the connection was lost or the client closed).
    case receiptsFailed([String], ClientSessionError)
    /// An ERROR frame; if it names a receipt, that operation failed.
    case serverError(ServerError)
    case stateChanged(ClientConnectionState)
}
