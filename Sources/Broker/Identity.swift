/// Who a session is, decided once at CONNECT (or at the WebSocket handshake) and never by a
/// later frame: the authenticated user, the roles granted (by the token, the users file and the
/// endpoint), and the endpoint the client came through. Every broker operation a node carries
/// out for a session is done as this identity; `/user` destinations resolve with `principal`.
public struct Identity: Sendable, Hashable {
    /// The authenticated user id; nil for anonymous sessions.
    public var user: String?
    /// Roles for authorization rules and backend decisions (`agent`, `service`, …).
    public var roles: Set<String>
    /// Name of the endpoint the client connected to (`listen.endpoints.<name>`).
    public var endpoint: String
    /// The name `/user/...` destinations resolve with: the user, or for anonymous sessions
    /// `anonymous-<session>`, a name no login can take.
    public var principal: String
    /// Unix time in seconds after which the credential is no longer valid (a token's `exp`);
    /// nil: it does not expire.
    public var expiresAt: Int64?

    /// An authenticated user.
    public init(user: String, roles: Set<String> = [], endpoint: String, expiresAt: Int64? = nil) {
        self.user = user
        self.roles = roles
        self.endpoint = endpoint
        self.principal = user
        self.expiresAt = expiresAt
    }

    /// An anonymous session: its principal is `anonymous-<session>`.
    public static func anonymous(session: SessionID, roles: Set<String> = [], endpoint: String) -> Identity {
        var identity = Identity(user: "anonymous-\(session)", roles: roles, endpoint: endpoint)
        identity.user = nil
        return identity
    }

    public var isAnonymous: Bool { user == nil }

    /// Whether the session has `role`.
    public func has(role: String) -> Bool { roles.contains(role) }
}
