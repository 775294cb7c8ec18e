public import Auth
public import AccessRules
internal import Broker
internal import STOMPSession
internal import STOMPWire
internal import Admin
internal import Applications
internal import Dispatch
internal import JSONProtocol

/// Why a node refuses to start with its identity settings.
public struct AccessControlError: Error, CustomStringConvertible {
    public let description: String
}

/// Everything a node decides identity and access with, loaded once at startup: token keys,
/// the users file, the rules. Immutable afterwards, so connections share it.
public final class AccessControl: Sendable {
    public let verifier: TokenVerifier?
    public let usersFile: UsersFile
    /// `auth.users` (plaintext; tests and old configurations).
    let plainUsers: [String: String]
    public let policy: AccessPolicy
    let tokenQueryParameter: String
    let tokenCookie: String
    let serviceUsers: Set<String>
    let serviceRole: String

    public init(configuration: NodeConfiguration) throws {
        var sources: [TokenKeySource] = []
        if let secret = configuration.jwtSecret { sources.append(.hmac(secret: secret, algorithm: configuration.jwtSecretAlgorithm)) }
        if let path = configuration.jwtPublicKeyFile {
            sources.append(.pem(try Self.read(path, what: "auth.jwt.public-key-file"), algorithm: configuration.jwtPublicKeyAlgorithm))
        }
        if let path = configuration.jwtJWKSFile { sources.append(.jwks(try Self.read(path, what: "auth.jwt.jwks-file"))) }
        if sources.isEmpty {
            verifier = nil
        } else {
            let keys = try Self.blockingLoad(sources)
            verifier = TokenVerifier(keys: keys, policy: configuration.tokenPolicy)
        }
        if let path = configuration.usersFile {
            do { usersFile = try UsersFile(parsing: try Self.read(path, what: "auth.users-file")) } catch let error as UsersFileError {
                throw AccessControlError(description: "auth.users-file \(path): \(error)")
            }
        } else {
            usersFile = UsersFile()
        }
        plainUsers = configuration.users
        policy = AccessPolicy(rules: configuration.accessRules, defaultAllows: configuration.defaultPolicyAllows,
                              syntax: configuration.destinationSyntax)
        tokenQueryParameter = configuration.tokenQueryParameter
        tokenCookie = configuration.tokenCookie
        serviceUsers = Set(configuration.serviceUsers)
        serviceRole = configuration.applications.serviceRole
    }

    /// The one-line reason a node must not start: open access on a non-loopback address.
    public static func startupRefusal(_ configuration: NodeConfiguration) -> String? {
        guard !AdminEndpoint.isLoopback(configuration.host) else { return nil }
        let open = configuration.effectiveEndpoints.filter { endpoint in
            let explicit = configuration.endpoints.first { $0.name == endpoint.name }?.authentication != nil
            return !explicit && endpoint.authentication?.contains(.selfNamed) == true
        }
        guard let first = open.first else { return nil }
        return "refusing to start: listen.host \(configuration.host) is not a loopback address and endpoint '\(first.name)' has no authentication; "
            + "configure auth.users-file or auth.jwt.*, or name the endpoint's auth explicitly in listen.endpoints"
    }

    /// Where `endpoint` looks for tokens.
    func extraction(_ endpoint: EndpointConfiguration) -> TokenExtraction {
        TokenExtraction(sources: endpoint.tokenSources, queryParameter: tokenQueryParameter, cookieName: tokenCookie)
    }

    /// Verifies a token at `now` (Unix seconds).
    func verify(_ token: String, now: Int64) -> Result<VerifiedToken, TokenRefusal> {
        guard let verifier else { return .failure(.algorithmNotAllowed("(no token keys configured)")) }
        return verifier.verify(token, now: now)
    }

    /// Roles from the configuration that come with a user name (service users).
    func configuredRoles(of user: String) -> Set<String> {
        serviceUsers.contains(user) ? [serviceRole] : []
    }

    private static func read(_ path: String, what: String) throws -> String {
        do { return try ConfigurationLoader.readFile(path) } catch {
            throw AccessControlError(description: "\(what): cannot read \(path)")
        }
    }

    /// jwt-kit hands out its signers through an actor; this runs once, before the loop starts.
    private static func blockingLoad(_ sources: [TokenKeySource]) throws -> [VerificationKey] {
        final class Box: @unchecked Sendable { var result: Result<[VerificationKey], any Error> = .success([]) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.result = .success(try await TokenKeys.load(sources)) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        do { return try box.result.get() } catch {
            throw AccessControlError(description: "auth.jwt: \(error)")
        }
    }
}

/// Decides one CONNECT on one endpoint: the identity from the handshake's token if there was
/// one, otherwise the endpoint's methods in turn (token in CONNECT, users, self-named, anonymous).
struct EndpointAuthenticator: Authenticator {
    let endpoint: EndpointConfiguration
    let access: AccessControl
    let handshakeIdentity: Identity?
    /// Unix seconds.
    let now: Int64
    /// The users-file check of this CONNECT's passcode, done beforehand off the loop
    /// (`ClientConnection+Password`); nil: checked here, synchronously.
    var passwordVerdict: Bool?

    init(endpoint: EndpointConfiguration, access: AccessControl, handshakeIdentity: Identity?, now: Int64) {
        self.endpoint = endpoint
        self.access = access
        self.handshakeIdentity = handshakeIdentity
        self.now = now
    }

    /// The passcode and users-file hash this CONNECT will be judged by, if it gets that far: the
    /// slow part of authenticating (PBKDF2), which the connection runs on libuv's thread pool.
    func passwordToCheck(_ credentials: ConnectCredentials) -> (passcode: String, hash: String)? {
        let methods = endpoint.authentication ?? []
        guard handshakeIdentity == nil, methods.contains(.users),
              let login = credentials.login, !login.isEmpty, let passcode = credentials.passcode, !passcode.isEmpty,
              let entry = access.usersFile.entries[login] else { return nil }
        if methods.contains(.token), endpoint.tokenSources.contains(.connect),
           access.extraction(endpoint).fromConnect(passcode: nil, header: { credentials[$0] }) != nil {
            return nil  // a token header decides instead
        }
        return (passcode, entry.hash)
    }

    func authenticate(_ credentials: ConnectCredentials) -> AuthenticationResult {
        let methods = endpoint.authentication ?? []
        let login = credentials.login.flatMap { $0.isEmpty ? nil : $0 }
        let passcode = credentials.passcode.flatMap { $0.isEmpty ? nil : $0 }
        if let identity = handshakeIdentity {
            if let login, login != identity.user { return .rejected(reason: "login does not match the token's user") }
            return .accepted(identity)
        }
        let extraction = access.extraction(endpoint)
        let tokenInConnect = methods.contains(.token) && endpoint.tokenSources.contains(.connect)
        if tokenInConnect, let token = extraction.fromConnect(passcode: nil, header: { credentials[$0] }) {
            return tokenIdentity(token, login: login, credentials: credentials)
        }
        if let login, let passcode {
            if methods.contains(.users), let entry = access.usersFile.entries[login] {
                guard passwordVerdict ?? PasswordHash.verify(passcode, against: entry.hash) else { return .rejected(reason: "bad login or passcode") }
                return .accepted(identity(login, roles: entry.roles, credentials: credentials))
            }
            if methods.contains(.users), let expected = access.plainUsers[login] {
                guard constantTimeEquals(Array(expected.utf8), Array(passcode.utf8)) else { return .rejected(reason: "bad login or passcode") }
                return .accepted(identity(login, roles: [], credentials: credentials))
            }
            if tokenInConnect {
                return tokenIdentity(passcode, login: login, credentials: credentials)
            }
            if methods.contains(.selfNamed) { return .accepted(identity(login, roles: [], credentials: credentials)) }
            return .rejected(reason: "bad login or passcode")
        }
        if let passcode, tokenInConnect { return tokenIdentity(passcode, login: nil, credentials: credentials) }
        if let login, methods.contains(.selfNamed) { return .accepted(identity(login, roles: [], credentials: credentials)) }
        if login == nil, passcode == nil, methods.contains(.anonymous) {
            return .accepted(.anonymous(session: credentials.session, roles: endpoint.grantedRoles, endpoint: endpoint.name))
        }
        if methods.contains(.token) && !methods.contains(.users) { return .rejected(reason: "a token is required") }
        return .rejected(reason: login == nil ? "login required" : "passcode required")
    }

    private func tokenIdentity(_ token: String, login: String?, credentials: ConnectCredentials) -> AuthenticationResult {
        switch access.verify(token, now: now) {
        case .failure(let refusal):
            return .rejected(reason: refusal.reason)
        case .success(let verified):
            if let login, login != verified.user { return .rejected(reason: "login does not match the token's user") }
            var identity = identity(verified.user, roles: verified.roles, credentials: credentials)
            identity.expiresAt = verified.expiresAt
            return .accepted(identity)
        }
    }

    private func identity(_ user: String, roles: Set<String>, credentials: ConnectCredentials) -> Identity {
        Identity(user: user, roles: roles.union(endpoint.grantedRoles).union(access.configuredRoles(of: user)), endpoint: endpoint.name)
    }
}

extension AccessControl {
    /// The identity an upgrade request gives on `endpoint` (nil: the client may still prove one in
    /// CONNECT), or the one-line reason it is refused with 401. WebSocket upgrades and SockJS
    /// sessions both decide here, so their rules cannot drift apart.
    func handshakeIdentity(
        endpoint: EndpointConfiguration, query: String?, header: (String) -> String?, now: Int64
    ) -> Result<Identity?, HandshakeRefusal> {
        var identity: Identity?
        switch tokenIdentity(endpoint: endpoint, query: query, header: header, now: now) {
        case .failure(let refusal): return .failure(HandshakeRefusal(reason: refusal.reason))
        case .success(let proven): identity = proven
        }
        if identity == nil, endpoint.wireProtocol == .json {
            identity = Self.userIDIdentity(query: query, endpoint: endpoint)
        }
        // A JSON client has no CONNECT to carry a token.
        if identity == nil, endpoint.authentication == [.token], endpoint.wireProtocol == .json || !endpoint.tokenSources.contains(.connect) {
            return .failure(HandshakeRefusal(reason: "a token is required"))
        }
        return .success(identity)
    }

    /// The identity a handshake token gives, nil when the handshake carries none.
    private func tokenIdentity(
        endpoint: EndpointConfiguration, query: String?, header: (String) -> String?, now: Int64
    ) -> Result<Identity?, TokenRefusal> {
        guard endpoint.authentication?.contains(.token) == true,
              let token = extraction(endpoint).fromHandshake(query: query, header: header) else { return .success(nil) }
        switch verify(token, now: now) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let verified):
            let roles = verified.roles.union(endpoint.grantedRoles).union(configuredRoles(of: verified.user))
            return .success(Identity(user: verified.user, roles: roles, endpoint: endpoint.name, expiresAt: verified.expiresAt))
        }
    }

    /// The user a `user_id` query parameter names, on JSON endpoints that allow it (development).
    static func userIDIdentity(query: String?, endpoint: EndpointConfiguration) -> Identity? {
        guard endpoint.userIDParameter, let query, let user = TokenExtraction.parameter("user_id", in: query),
              JSONClientCommand.isValidName(user) else { return nil }
        return Identity(user: user, roles: endpoint.grantedRoles, endpoint: endpoint.name)
    }
}

/// Why an upgrade request proves no acceptable identity; answered with 401.
struct HandshakeRefusal: Error {
    let reason: String
}
