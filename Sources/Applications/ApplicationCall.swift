public import STOMPWire

/// Who sent an application message: what the node knows for sure about the sender. Services
/// (and webhooks) rely on it, so it is set by the node, never taken from client headers.
public struct ApplicationSender: Sendable, Equatable {
    /// The authenticated user (`anonymous-<session>` for anonymous sessions).
    public var user: String
    /// The node the sender is connected to.
    public var nodeID: String
    /// The session's number on that node.
    public var sessionID: UInt64
    /// The listener/endpoint the sender connected through (e.g. `websocket`, `stomp`).
    public var endpoint: String
    /// The sender's roles (from its identity), sorted.
    public var roles: [String]

    public init(user: String, nodeID: String, sessionID: UInt64, endpoint: String, roles: [String] = []) {
        self.user = user
        self.nodeID = nodeID
        self.sessionID = sessionID
        self.endpoint = endpoint
        self.roles = roles
    }

    /// The address a service replies to for `@SendToUser(broadcast=false)` semantics.
    public var sessionAddress: SessionAddress { SessionAddress(nodeID: nodeID, sessionID: sessionID) }
}

/// One session anywhere in the cluster, written `<node>/<session>` (the node id may contain
/// `/`; the session number after the last `/` cannot).
public struct SessionAddress: Sendable, Hashable, CustomStringConvertible {
    public var nodeID: String
    public var sessionID: UInt64

    public init(nodeID: String, sessionID: UInt64) {
        self.nodeID = nodeID
        self.sessionID = sessionID
    }

    /// Parses `<node>/<session>`; nil when malformed.
    public init?(_ text: String) {
        guard let slash = text.lastIndex(of: "/") else { return nil }
        let node = text[..<slash]
        let number = text[text.index(after: slash)...]
        guard !node.isEmpty, !number.isEmpty, number.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let session = UInt64(number) else { return nil }
        self.init(nodeID: String(node), sessionID: session)
    }

    public var description: String { "\(nodeID)/\(sessionID)" }
}

/// A SEND or SUBSCRIBE to an application destination, as handed to a backend.
public struct ApplicationCall: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A SEND (`@MessageMapping`).
        case send
        /// A SUBSCRIBE (`@SubscribeMapping`) with the subscription id its answer goes to.
        case subscribe(subscriptionID: String)
    }

    public var kind: Kind
    public var sender: ApplicationSender
    /// The application destination the client used (`/app/chat.send`).
    public var destination: String
    /// The route that chose the backend.
    public var route: ApplicationRoute
    /// The client's own headers (transport headers and reserved `app-*` names removed).
    public var headers: STOMPHeaders
    public var body: [UInt8]
    /// The client's `receipt` header, if any (a webhook answers failures with it).
    public var receipt: String?

    public init(kind: Kind, sender: ApplicationSender, destination: String, route: ApplicationRoute,
                headers: STOMPHeaders, body: [UInt8], receipt: String?) {
        self.kind = kind
        self.sender = sender
        self.destination = destination
        self.route = route
        self.headers = ApplicationHeaders.withoutReserved(headers)
        self.body = body
        self.receipt = receipt
    }

    /// The headers of the MESSAGE a STOMP service receives: the client's headers, then the
    /// node's `app-*` headers describing the sender.
    public var serviceHeaders: STOMPHeaders {
        var result = headers
        result.append(STOMPHeader(name: ApplicationHeaders.user, value: sender.user))
        result.append(STOMPHeader(name: ApplicationHeaders.session, value: sender.sessionAddress.description))
        result.append(STOMPHeader(name: ApplicationHeaders.node, value: sender.nodeID))
        result.append(STOMPHeader(name: ApplicationHeaders.endpoint, value: sender.endpoint))
        result.append(STOMPHeader(name: ApplicationHeaders.roles, value: sender.roles.joined(separator: ",")))
        result.append(STOMPHeader(name: ApplicationHeaders.route, value: route.pattern))
        switch kind {
        case .send:
            result.append(STOMPHeader(name: ApplicationHeaders.kind, value: "send"))
        case .subscribe(let id):
            result.append(STOMPHeader(name: ApplicationHeaders.kind, value: "subscribe"))
            result.append(STOMPHeader(name: ApplicationHeaders.subscription, value: id))
        }
        return result
    }
}
