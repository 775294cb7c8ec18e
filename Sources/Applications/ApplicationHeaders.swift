public import STOMPWire

/// Header names the node sets on application messages and reads on service replies.
public enum ApplicationHeaders {
    /// On a message to a service: the sender's authenticated user.
    public static let user = "app-user"
    /// The sender's session, `<node>/<session>`: the value of `reply-to-session` in a reply.
    public static let session = "app-session"
    /// The sender's node id.
    public static let node = "app-node"
    /// The endpoint (listener) the sender connected through.
    public static let endpoint = "app-endpoint"
    /// The sender's roles, comma-separated (empty when none).
    public static let roles = "app-roles"
    /// `send` or `subscribe`.
    public static let kind = "app-kind"
    /// For `subscribe`: the client's subscription id (the value of `reply-subscription`).
    public static let subscription = "app-subscription"
    /// The route pattern that chose this service.
    public static let route = "app-route"

    /// On a service's SEND to `/user/<name>/...`: deliver to this session only.
    public static let replyToSession = "reply-to-session"
    /// With `reply-to-session`: deliver as the one answer to this subscription of the session
    /// (`@SubscribeMapping`).
    public static let replySubscription = "reply-subscription"

    /// Every header prefixed `app-` is the node's to set: clients cannot forge them.
    public static func isReserved(_ name: String) -> Bool { name.hasPrefix("app-") }

    /// `headers` without the names the node reserves.
    public static func withoutReserved(_ headers: STOMPHeaders) -> STOMPHeaders {
        // Names only, as bytes: no String per header unless one is reserved.
        guard headers.indices.contains(where: { headers.withName(at: $0) { $0.begins(with: "app-") } }) else { return headers }
        return headers.filter { !isReserved($0.name) }
    }
}

/// A reply aimed at one session, read from a SEND's `reply-to-session` / `reply-subscription`.
public struct SessionReply: Sendable, Equatable {
    public var session: SessionAddress
    /// The subscription that gets the answer (`@SubscribeMapping`), or nil for the session's
    /// matching `/user` subscriptions.
    public var subscription: String?

    public init(session: SessionAddress, subscription: String?) {
        self.session = session
        self.subscription = subscription
    }

    /// Why a SEND's reply headers were refused.
    public enum Refusal: Error, Sendable, Equatable {
        case notAService
        case malformedSession(String)
        case subscriptionWithoutSession

        public var message: String {
            switch self {
            case .notAService:
                "reply-to-session and reply-subscription may only be sent by a backend service"
            case .malformedSession(let value):
                "reply-to-session '\(value)' is not an app-session value (<node>/<session>)"
            case .subscriptionWithoutSession:
                "reply-subscription needs reply-to-session"
            }
        }
    }

    /// The session reply a SEND asks for: nil when it carries neither header; a refusal when
    /// the sender is not a service or the headers are malformed. Whether the sender is a
    /// service is asked only when a reply header is there (not on every SEND).
    public static func parse(_ headers: STOMPHeaders, senderIsService: @autoclosure () -> Bool) -> Result<SessionReply?, Refusal> {
        var session: String?
        var subscription: String?
        for header in headers {
            if session == nil, header.name == ApplicationHeaders.replyToSession { session = header.value }
            if subscription == nil, header.name == ApplicationHeaders.replySubscription { subscription = header.value }
        }
        if session == nil && subscription == nil { return .success(nil) }
        guard senderIsService() else { return .failure(.notAService) }
        guard let session else { return .failure(.subscriptionWithoutSession) }
        guard let address = SessionAddress(session) else { return .failure(.malformedSession(session)) }
        return .success(SessionReply(session: address, subscription: subscription))
    }

    /// The headers a session reply is delivered with: the reply headers are routing, not content.
    public static func deliveredHeaders(_ headers: STOMPHeaders) -> STOMPHeaders {
        headers.filter { $0.name != ApplicationHeaders.replyToSession && $0.name != ApplicationHeaders.replySubscription }
    }
}

/// A message a backend wants routed: what a service's SEND, a webhook's response or the HTTP
/// API hands to `Node.route(_:)`. `destination` is routed like any SEND (topic, queue,
/// `/user/<name>/...`); with `toSession` it must be `/user/<name>/...` and reaches only that
/// session (and, with a subscription, only that subscription, as its one answer).
public struct ApplicationReply: Sendable, Equatable {
    public var destination: String
    public var headers: STOMPHeaders
    public var body: [UInt8]
    public var toSession: SessionReply?

    public init(destination: String, headers: STOMPHeaders, body: [UInt8], toSession: SessionReply? = nil) {
        self.destination = destination
        self.headers = headers
        self.body = body
        self.toSession = toSession
    }
}
