public import STOMPWire
public import BuildInfo
public import Broker

/// What a STOMP session needs to know about the node it runs on.
public struct SessionConfiguration: Sendable, Equatable {
    /// Versions offered at CONNECT, highest preferred.
    public var supportedVersions: [STOMPVersion]
    /// The server's heart-beat wish (sx, sy) in milliseconds, sent in CONNECTED.
    public var heartBeat: HeartBeat
    /// A client is declared dead after this many of its promised intervals without a byte.
    public var heartBeatToleranceFactor: UInt64
    /// Value of the CONNECTED `server` header.
    public var serverName: String
    /// Concurrent open transactions per session.
    public var maxTransactions: Int
    /// SEND/ACK/NACK frames buffered in one transaction.
    public var maxFramesPerTransaction: Int

    public init(
        supportedVersions: [STOMPVersion] = [.v1_2, .v1_1, .v1_0],
        heartBeat: HeartBeat = HeartBeat(canSend: 10_000, wantsReceive: 10_000),
        heartBeatToleranceFactor: UInt64 = 2,
        serverName: String = BuildInfo.serverName,
        maxTransactions: Int = 16,
        maxFramesPerTransaction: Int = 1_000
    ) {
        self.supportedVersions = supportedVersions
        self.heartBeat = heartBeat
        self.heartBeatToleranceFactor = heartBeatToleranceFactor
        self.serverName = serverName
        self.maxTransactions = maxTransactions
        self.maxFramesPerTransaction = maxFramesPerTransaction
    }
}

/// What a client presented at CONNECT, for an `Authenticator` to judge.
public struct ConnectCredentials: Sendable, Equatable {
    public var login: String?
    public var passcode: String?
    /// Every CONNECT header (a `token` or `Authorization` header may carry a token).
    public var headers: [STOMPHeader]
    /// The session being authenticated (anonymous principals are named after it).
    public var session: SessionID
    /// The endpoint the client came through.
    public var endpoint: String

    public init(login: String?, passcode: String?, headers: [STOMPHeader] = [], session: SessionID, endpoint: String) {
        self.login = login
        self.passcode = passcode
        self.headers = headers
        self.session = session
        self.endpoint = endpoint
    }

    /// The value of the first header called `name`.
    public subscript(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// Decides who may connect. Pluggable so a node can check a users file, tokens, ….
public protocol Authenticator: Sendable {
    /// The identity the session acts as, or why the CONNECT is refused.
    func authenticate(_ credentials: ConnectCredentials) -> AuthenticationResult
}

public enum AuthenticationResult: Sendable, Equatable {
    case accepted(Identity)
    /// `reason` goes to the client in the ERROR: it must name no secret.
    case rejected(reason: String)
}

/// Open access (development on loopback): everybody may connect; a given login becomes the
/// session's user, no login an anonymous session.
public struct AllowAllAuthenticator: Authenticator {
    public init() {}
    public func authenticate(_ credentials: ConnectCredentials) -> AuthenticationResult {
        if let login = credentials.login, !login.isEmpty {
            return .accepted(Identity(user: login, endpoint: credentials.endpoint))
        }
        return .accepted(.anonymous(session: credentials.session, endpoint: credentials.endpoint))
    }
}

/// A fixed users list from the configuration file.
public struct UsersListAuthenticator: Authenticator {
    public let passcodes: [String: String]
    public let allowAnonymous: Bool

    public init(passcodes: [String: String], allowAnonymous: Bool = false) {
        self.passcodes = passcodes
        self.allowAnonymous = allowAnonymous
    }

    public func authenticate(_ credentials: ConnectCredentials) -> AuthenticationResult {
        guard let login = credentials.login, !login.isEmpty else {
            return allowAnonymous
                ? .accepted(.anonymous(session: credentials.session, endpoint: credentials.endpoint))
                : .rejected(reason: "login required")
        }
        guard let expected = passcodes[login], constantTimeEquals(expected, credentials.passcode ?? "") else {
            return .rejected(reason: "bad login or passcode")
        }
        return .accepted(Identity(user: login, endpoint: credentials.endpoint))
    }
}

/// Compares without an early exit, so timing does not reveal how much of a passcode was right.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(truncatingIfNeeded: x.count ^ y.count)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
