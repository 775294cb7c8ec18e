/// What a token must satisfy besides a valid signature (`auth.jwt.*`).
public struct TokenPolicy: Sendable, Equatable {
    /// Required `iss`; nil accepts any issuer.
    public var issuer: String?
    /// Required member of `aud` (a string or a list); nil accepts any audience.
    public var audience: String?
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var leewaySeconds: Int64
    /// Claim holding the user id.
    public var userClaim: String
    /// Claim holding the roles: a list of strings, or one space-separated string.
    public var rolesClaim: String
    /// Tokens without `exp` are refused (a leaked token must not be valid forever).
    public var requireExpiry: Bool

    public init(
        issuer: String? = nil, audience: String? = nil, leewaySeconds: Int64 = 30,
        userClaim: String = "sub", rolesClaim: String = "roles", requireExpiry: Bool = true
    ) {
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
        self.userClaim = userClaim
        self.rolesClaim = rolesClaim
        self.requireExpiry = requireExpiry
    }
}

/// What a valid token says about its bearer.
public struct VerifiedToken: Sendable, Equatable {
    public var user: String
    public var roles: Set<String>
    /// `exp` in Unix seconds.
    public var expiresAt: Int64?

    public init(user: String, roles: Set<String>, expiresAt: Int64?) {
        self.user = user
        self.roles = roles
        self.expiresAt = expiresAt
    }
}

/// Why a token was refused. `reason` is what clients and logs see: a class of failure, never
/// the token or a key.
public enum TokenRefusal: Error, Sendable, Equatable {
    case malformed
    /// `none`, or an algorithm no configured key has.
    case algorithmNotAllowed(String)
    case unknownKey
    case badSignature
    case expired
    case notYetValid
    case issuedInTheFuture
    case missingExpiry
    case wrongIssuer
    case wrongAudience
    case missingUser

    public var reason: String {
        switch self {
        case .malformed: "malformed token"
        case .algorithmNotAllowed(let name): "token algorithm '\(name.prefix(16))' not allowed"
        case .unknownKey: "token signed with an unknown key"
        case .badSignature: "bad token signature"
        case .expired: "token expired"
        case .notYetValid: "token not yet valid"
        case .issuedInTheFuture: "token issued in the future"
        case .missingExpiry: "token without expiry"
        case .wrongIssuer: "wrong token issuer"
        case .wrongAudience: "wrong token audience"
        case .missingUser: "token names no user"
        }
    }
}
